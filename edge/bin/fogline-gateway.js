#!/usr/bin/env node
// The installed command: the compiled CLI, which `npm run build` writes to dist/ (this file
// exists before the build, so npm links the command at install time).
import '../dist/cli.js';
