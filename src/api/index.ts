/** The OpenAPI client: what nodes and the app config node import. */
export { DingTalkError, LocalErrorCode, redactUrl, type DingTalkErrorInit } from './errors';
export { hintFor, permissionFor, isThrottling } from '../dingtalk-says';
export { DEFAULT_API_BASE } from '../contract';
export {
  OpenApiClient,
  WebhookResultSchema,
  type OpenApiClientOptions,
  type ApiRequest,
  type HttpMethod,
  type WebhookResult,
  type DownloadedFile,
} from './http';
export { DEFAULT_RETRY, type RetryOptions } from './retry';
export * from './robot';
export { downloadMessageFile } from './files';
export {
  uploadMedia,
  uploadMediaMessage,
  MEDIA_UPLOAD_PATH,
  MEDIA_TYPES,
  type MediaType,
  type MediaToSend,
  type MediaMessage,
  type UploadedMedia,
} from './media';
export {
  createCard,
  deliverCard,
  createAndDeliverCard,
  updateCard,
  streamCard,
  newOutTrackId,
  openSpaceIdFor,
  CARD_PATHS,
  type CardDeliverOutcome,
} from './card';
export { CardStreamer, type CardStreamerOptions } from './card-streamer';
export type {
  At,
  WebhookMessage,
  ReplyInput,
  SendToUsersInput,
  SendToGroupInput,
  GroupSendAnswer,
  BatchSendAnswer,
  DownloadFileInput,
  CreateCardInput,
  DeliverCardInput,
  CreateAndDeliverCardInput,
  UpdateCardInput,
  StreamCardInput,
  DeliverResult,
} from './schemas';
export {
  WORKFLOW_PATHS,
  getApprovalInstance,
  startApprovalInstance,
  executeApprovalTask,
  terminateApprovalInstance,
  commentApprovalInstance,
  type ApprovalInstanceDetails,
  type ApprovalTaskDetails,
  type StartInstanceBody,
  type ExecuteTaskBody,
  type TerminateBody,
  type CommentBody,
  type ActionAnswer,
} from './workflow';
