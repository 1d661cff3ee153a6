/**
 * What every error this package raises on purpose has in common: a message that says what went wrong and what to do,
 * never a secret, and a `code` a flow can branch on. The kinds:
 * - `DingTalkError` (src/api/errors.ts): an OpenAPI call failed; `code` is DingTalk's own or a `LocalErrorCode`.
 * - `GatewayError` (src/stream/gateway.ts): the Stream gateway gave no ticket; `code` is DingTalk's, if it sent one.
 * - `MsgInputError` (src/msg/input-error.ts): a flow's msg cannot be sent; `code` is an `InputErrorCode`,
 *   which is also its key in the nodes' locale catalogs.
 * What DingTalk's own codes mean is in src/dingtalk-says.ts.
 */
export abstract class PackageError<Code extends string = string> extends Error {
  constructor(
    message: string,
    readonly code: Code | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Codes we give a DingTalkError ourselves, when there is no DingTalk answer to take one from. */
export const LocalErrorCode = {
  Network: 'NetworkError',
  Timeout: 'Timeout',
  NonJson: 'NonJsonResponse',
  UnexpectedResponse: 'UnexpectedResponse',
  InvalidInput: 'InvalidInput',
  UrlRefused: 'UrlRefused',
  TooLarge: 'FileTooLarge',
  Closed: 'ClientClosed',
  WebhookExpired: 'SessionWebhookExpired',
  DeliverFailed: 'CardDeliverFailed',
  RateQueueFull: 'RateLimitQueueFull',
} as const;
export type LocalErrorCode = (typeof LocalErrorCode)[keyof typeof LocalErrorCode];
