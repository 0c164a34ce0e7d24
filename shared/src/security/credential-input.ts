/**
 * What the credential commands of fogline-gateway (devices) and fogline-cloud (gateways) read
 * from their users: labels as key=value pairs, and an imported secret on standard input (never
 * on the command line, where `ps` and the shell's history would show it).
 */

/** `site=lobby` pairs into labels; a pair without `=` or with an empty key is an error naming it. */
export function parseLabelPairs(pairs: readonly string[], flag = '--label'): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const [key, ...rest] = pair.split('=');
    if (!key || rest.length === 0) throw new Error(`${flag} was ${JSON.stringify(pair)}, expected key=value`);
    labels[key] = rest.join('=');
  }
  return labels;
}

/** The whole of standard input, without its trailing line break: one secret. */
export async function readSecretFromStdin(input: NodeJS.ReadableStream = process.stdin): Promise<string> {
  if ((input as { isTTY?: boolean }).isTTY) process.stderr.write('secret (then Enter and Ctrl-D): ');
  let text = '';
  for await (const chunk of input) text += chunk.toString();
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') throw new Error('standard input was empty, expected the secret (for example: printf %s "$SECRET" | ...)');
  return secret;
}
