import { createRequire } from 'node:module';

/**
 * The official `dingtalk-stream` SDK, loaded unchanged. It hard-codes https://api.dingtalk.com for the gateway call;
 * a request interceptor on the SDK's own axios instance redirects that one URL to the simulator (as in
 * test/simulator/official-sdk.test.ts). Nothing on the measured path (socket, frame parsing, acks) is touched.
 */

export interface SdkPush {
  headers: { messageId: string; topic: string };
  data: string;
}

export interface SdkClient {
  connect(): Promise<void>;
  disconnect(): void;
  registerCallbackListener(topic: string, callback: (push: SdkPush) => void): SdkClient;
  socketCallBackResponse(messageId: string, result: unknown): void;
}

interface SdkModule {
  DWClient: new (opts: { clientId: string; clientSecret: string; keepAlive?: boolean; autoReconnect?: boolean }) => SdkClient;
  TOPIC_ROBOT: string;
  GATEWAY_URL: string;
}

interface AxiosLike {
  interceptors: { request: { use(fn: (config: { url?: string; proxy?: unknown }) => { url?: string; proxy?: unknown }): number } };
}

const localRequire = createRequire(__filename);

export function loadOfficialSdk(apiBase: string): SdkModule {
  const sdk = localRequire('dingtalk-stream') as SdkModule;
  const sdkAxios = createRequire(localRequire.resolve('dingtalk-stream'))('axios') as AxiosLike;
  sdkAxios.interceptors.request.use((config) =>
    config.url === sdk.GATEWAY_URL ? { ...config, url: `${apiBase}/v1.0/gateway/connections/open`, proxy: false } : config,
  );
  return sdk;
}
