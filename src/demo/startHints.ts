/**
 * What `npm start` prints once it runs: the first commands to try, in the order a newcomer
 * needs them (send, look, find, replay), without --brokers: commands run from the checkout
 * find npm start's broker by themselves (src/cli/brokers.ts).
 */
export interface StartHintsInput {
  readonly ingressUrl: string
  /** undefined when the console is off */
  readonly consoleUrl: string | undefined
  readonly githubSecret: string
}

const ORDER = `'{"order_id": 1, "customer": {"id": "c-1"}}'`
const BODY = `'{"ref":"refs/heads/main","repository":{"full_name":"acme/shop"}}'`

export const startHints = (input: StartHintsInput): string =>
  [
    "",
    "hookstream is running on the example streams in streams/. Try, in another terminal (from this checkout):",
    `  npx hookstream send orders ${ORDER} --key c-1 --id order-1 --wait   # send one, print its result`,
    `  npx hookstream send orders '{"order_id": 2}' --id order-2 --wait   # no customer id: dead-lettered (exit 1)`,
    "  npx hookstream event order-2   # where is my event: its results, dead letters and replays",
    "  npx hookstream dlq list   # the dead letters",
    "  npx hookstream replay --webhook orders --dry-run   # what a replay would re-publish (drop --dry-run to do it)",
    ...(input.consoleUrl === undefined
      ? []
      : [`Operator console (live flow, streams, dead letters, event search, replay): ${input.consoleUrl}`]),
    "Or through the HTTP ingress, signed like GitHub does:",
    `  BODY=${BODY}; curl -i ${input.ingressUrl}/webhooks/github-push -H 'content-type: application/json' \\`,
    `    -H "x-hub-signature-256: sha256=$(printf %s "$BODY" | openssl dgst -sha256 -hmac '${input.githubSecret}' -r | cut -d' ' -f1)" -d "$BODY"`,
    "Results go to webhooks.results, dead letters to webhooks.dlq; Ctrl-C stops cleanly.",
    ""
  ].join("\n")
