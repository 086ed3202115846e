/** Where webhooks are received: `POST /webhooks/<webhook_id>`. */
export const WEBHOOK_PATH_PREFIX = "/webhooks/"
