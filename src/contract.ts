/**
 * DingTalk's documented deadlines and limits, and the margins we keep inside them: one table that the Stream client,
 * the nodes and the simulator all read, so a test fails when one of them drifts. Each number's source is in
 * docs/protocol.md (the section named beside it); a number without a DingTalk source is marked as our own choice.
 */

/** DingTalk's OpenAPI host, where Stream connections are opened too (docs/protocol.md §1.1, §6.1-a). */
export const DEFAULT_API_BASE = 'https://api.dingtalk.com';

/** What DingTalk documents. */
export const DINGTALK = {
  /**
   * A card callback must be answered within 2 s, or DingTalk treats the click as failed (docs/protocol.md §3.4, DingTalk's
   * card "事件回调" page: "事件回调有超时（TIMEOUT）限制，请在 2 秒内完成业务处理并响应").
   */
  cardCallbackTimeoutMs: 2_000,
  /**
   * Robot sends: `msgParam` is at most 15,000 bytes. DingTalk's group-send page (机器人发送群聊消息,
   * https://open.dingtalk.com/document/development/the-robot-sends-a-group-message): "长度限制 15000 字节以内"; larger
   * answers HTTP 400 `invalidParameter.msgParam.tooLong` "消息内容太长". The 1:1 batchSend page lists the same error code
   * without a number, so the same limit is applied there (UNCONFIRMED for batchSend and privateChatMessages/send).
   */
  robotMsgParamMaxBytes: 15_000,
  /**
   * Users per `oToMessages/batchSend` call: "每次最多传20个" (chatbots-send-one-on-one-chat-messages-in-batches page; its
   * error table says 100 for `invalidParameter.userIds.overMax`, so 20 is the safe reading).
   */
  robotBatchSendMaxUsers: 20,
  /**
   * After a QPS throttling answer, DingTalk says to wait one second ("可以在程序中sleep 1秒", how-to-process-api-throttling
   * page): the per-app and global QPS windows are one second long.
   */
  throttleWaitMs: 1_000,
  /**
   * AI card streaming (`PUT /v1.0/card/streaming`), DingTalk's "AI卡片流式更新" page
   * (https://open.dingtalk.com/document/development/api-streamingupdate), field `content`: "内容 size 单次不要超过 1 K，
   * 总大小建议不要超过 3 K" (one update at most 1 K, the whole content best under 3 K); over it the answer is HTTP 400
   * `param.stream.content` "content is too large". UNCONFIRMED: the unit of "K" and where DingTalk actually refuses;
   * we read the smaller way, UTF-8 bytes with K = 1,000. The same page says a markdown variable must get the whole text
   * every time (`isFull: true`), and DingTalk's own typewriter tutorial sends the whole answer on every update, so the
   * 1 K applies to an appended piece (`isFull: false`) and the 3 K to the variable's whole content (ADR 0011).
   */
  cardStreamAppendBytes: 1_000,
  /** The whole content of one streamed card variable, see `cardStreamAppendBytes`. */
  cardStreamContentBytes: 3_000,
  /**
   * An approval instance cannot be revoked (`POST /v1.0/workflow/processInstances/terminate`) within 15 s of being
   * started: DingTalk's "撤销审批实例" page (https://open.dingtalk.com/document/development/revoke-an-approval-instance):
   * "审批发起15秒内不能撤销审批流程", answered HTTP 400 `aflowProcessInstStatusException`.
   */
  workflowTerminateMinAgeMs: 15_000,
  /**
   * Approval remark / comment text, at most 1,024 characters: `remark` of execute ("审批意见，最大长度1024字符") and
   * terminate ("终止说明，最大长度1024字符"), `text` of comments ("评论的内容，最大长度1024字符") on DingTalk's pages
   * approve-or-reject-the-approval-task, revoke-an-approval-instance, official-approval-adds-approval-comments.
   */
  workflowRemarkMaxChars: 1_024,
  /** Approval start: `approvers` "最大列表长度：20", `formComponentValues` "最大列表长度：150", a value "最大长度65535字符" (create-an-approval-instance). */
  workflowMaxApprovers: 20,
  workflowMaxFormComponents: 150,
  workflowFormValueMaxChars: 65_535,
  /**
   * The legacy ("旧版") server API host. DingTalk's calling guide (server-api-calling-guide) and every legacy page (e.g.
   * query-user-details, get-details-single-approval-instance: `POST https://oapi.dingtalk.com/topapi/processinstance/get
   * ?access_token=ACCESS_TOKEN`) call `https://oapi.dingtalk.com/...` with the token in the `access_token` query
   * parameter; the new API (`/v1.0/...`) is on `https://api.dingtalk.com` with the `x-acs-dingtalk-access-token`
   * header. The error-code page (server-api-error-codes-1, 40014): "access_token这个参数应该是带在url后面的".
   */
  legacyApiBase: 'https://oapi.dingtalk.com',
  /**
   * Media upload (`POST https://oapi.dingtalk.com/media/upload?access_token=…`, multipart field `media`, form field
   * `type`), DingTalk's "上传媒体文件" page (https://open.dingtalk.com/document/development/upload-media-files): image
   * "最大20MB…jpg、gif、png、bmp", voice "最大2MB…amr、mp3、wav", video "最大20MB…mp4", file "最大20MB…doc、docx、xls、
   * xlsx、ppt、pptx、zip、pdf、rar". "MB" is read as 1,000,000 bytes, the smaller reading (UNCONFIRMED). The global
   * error-code page (server-api-error-codes-1) still says 40006 "image类型最大1MB，file类型最大10MB", an older limit
   * (docs/protocol.md §6.10).
   */
  mediaUpload: {
    image: { maxBytes: 20_000_000, extensions: ['jpg', 'gif', 'png', 'bmp'] },
    voice: { maxBytes: 2_000_000, extensions: ['amr', 'mp3', 'wav'] },
    video: { maxBytes: 20_000_000, extensions: ['mp4'] },
    file: { maxBytes: 20_000_000, extensions: ['doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'zip', 'pdf', 'rar'] },
  },
} as const;

/** Our own margins inside DingTalk's limits. */
export const OURS = {
  /**
   * Every card click is acked by then, whatever the flow does: the last 500 ms of DingTalk's 2 s are left for the
   * network and a busy event loop. The Stream client's fallback; no setting can raise it.
   */
  cardCallbackAckMs: 1_500,
  /** dingtalk-card-in answers "no change" this long before the client's fallback, so a flow's answer is never cut. */
  cardInMarginMs: 250,
  /**
   * AI assistant actions (`/v1.0/graph/api/invoke`, docs/protocol.md §2.5): DingTalk documents no deadline for an
   * action's answer (UNCONFIRMED). A call the flow has not answered after this long gets a 504 answer from
   * `dingtalk-ai-in`, so the assistant hears "the flow did not answer" rather than nothing (ADR 0013).
   */
  aiActionAnswerMs: 10_000,
  /** The longest a `dingtalk-ai-in` node may be set to wait for its flow (ADR 0013). */
  aiActionMaxMs: 60_000,
  /**
   * The Stream client's own fallback for an AI action comes this long after the node's longest wait, so the node's
   * clear 504 always goes first and the client's `{"response": null}` is only a safety net.
   */
  aiActionFallbackMarginMs: 2_000,
} as const;
