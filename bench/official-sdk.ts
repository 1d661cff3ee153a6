import { createRequire } from 'node:module';

/**
 * The official `dingtalk-stream` SDK, loaded unchanged. It hard-codes https://api.dingtalk.com for the gateway call;
 * a request interceptor on the SDK's own axios instance redirects that one URL to the simulator (also used by
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

export interface SdkModule {
  DWClient: new (opts: { clientId: string; clientSecret: string; keepAlive?: boolean; autoReconnect?: boolean }) => SdkClient;
  TOPIC_ROBOT: string;
  GATEWAY_URL: string;
}

interface AxiosRequestConfigLike {
  url?: string;
  proxy?: unknown;
}
interface AxiosLike {
  interceptors: { request: { use(fn: (config: AxiosRequestConfigLike) => AxiosRequestConfigLike): number; eject(id: number): void } };
}

const localRequire = createRequire(__filename);

/** The SDK with its gateway call sent to `apiBase`; `restore()` removes the redirect. */
export function redirectOfficialSdk(apiBase: string): { sdk: SdkModule; restore: () => void } {
  const sdk = localRequire('dingtalk-stream') as SdkModule;
  const sdkAxios = createRequire(localRequire.resolve('dingtalk-stream'))('axios') as AxiosLike;
  const id = sdkAxios.interceptors.request.use((config) =>
    config.url === sdk.GATEWAY_URL ? { ...config, url: `${apiBase}/v1.0/gateway/connections/open`, proxy: false } : config,
  );
  return { sdk, restore: () => sdkAxios.interceptors.request.eject(id) };
}

export function loadOfficialSdk(apiBase: string): SdkModule {
  return redirectOfficialSdk(apiBase).sdk;
}
