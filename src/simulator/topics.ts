/** The Stream topics the simulator pushes on (its own copy: the fake must not share the client's definitions). */
export const TOPIC_ROBOT = '/v1.0/im/bot/messages/get';
export const TOPIC_CARD = '/v1.0/card/instances/callback';
/** AI assistant actions: an HTTP-like request in the push, the answer in the ack. */
export const TOPIC_GRAPH = '/v1.0/graph/api/invoke';
