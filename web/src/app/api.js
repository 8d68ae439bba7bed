// The workbench's one way to the hub: GraphQL on /graphql of its own origin, over HTTP
// (fetch) and, for the alerts subscription, WebSocket (graphql-ws). Every refusal
// becomes an ApiError whose message a user understands; the hub's own words stay in
// `detail` for the curious, never a stack trace.
import { createClient } from "graphql-ws";
import { graphqlUrls, readToken } from "../shared/token.js";

export class ApiError extends Error {
  constructor(kind, message, detail = "") {
    super(message);
    this.kind = kind; // auth, forbidden, justification, too-large, rate, input, network, server
    this.detail = detail;
  }
}

const BY_CODE = {
  UNAUTHENTICATED: ["auth", () => "登录已失效或令牌无效，请重新登录。"],
  FORBIDDEN: ["forbidden", () => "无权限：您的角色不能执行此操作。"],
  JUSTIFICATION_REQUIRED: ["justification", () => "此查询需要填写查询事由（如案件编号）。"],
  LIMIT_EXCEEDED: ["too-large", () => "查询范围过大，请缩小范围（减少层数、数量或时间段）后重试。"],
  PAYLOAD_TOO_LARGE: ["too-large", () => "请求内容过大，请缩小范围后重试。"],
  RATE_LIMITED: ["rate", () => "请求过于频繁，请稍后再试。"],
  BAD_USER_INPUT: ["input", (m) => `输入有误：${m}`],
};

let onSignedOut = () => {};
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

// Refusals that say more than their code.
const BY_REASON = {
  PERSONAL_NUMBER: [
    "forbidden",
    () => "您的角色看到的号码经过脱敏，不能按身份证号、手机号或银行卡号查询：请按姓名或其他文字搜索，或从关联关系进入。",
  ],
};

function refusal(error) {
  const code = error?.extensions?.code;
  const [kind, say] = BY_REASON[error?.extensions?.reason] ||
    BY_CODE[code] || ["server", () => "服务器未能完成请求，请稍后再试。"];
  if (!code && error?.locations) {
    return new ApiError("server", "页面与服务器版本不一致，请刷新页面。", error.message);
  }
  return new ApiError(kind, say(error?.message || ""), error?.message || "");
}

export async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        authorization: `Bearer ${readToken()}`,
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ApiError("network", "无法连接研判平台服务器，请检查网络后重试。", String(error));
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    throw new ApiError("server", `服务器返回了无法识别的应答（${response.status}）。`);
  }
  if (response.status === 429) {
    const wait = response.headers.get("retry-after");
    throw new ApiError("rate", `请求过于频繁，请 ${wait || "几"} 秒后再试。`);
  }
  if (body?.errors?.length) {
    const error = refusal(body.errors[0]);
    if (error.kind === "auth") onSignedOut(error);
    throw error;
  }
  return body.data;
}

// A mutation answers with its payload or a typed error (InvalidInput, NotFound,
// Conflict); the latter becomes an ApiError too.
const TYPED = { InvalidInput: "输入有误", NotFound: "未找到", Conflict: "状态不允许" };
export function payload(result) {
  if (result && TYPED[result.__typename]) {
    throw new ApiError("input", `${TYPED[result.__typename]}：${result.message}`, result.message);
  }
  return result;
}

let socket = null;
function client() {
  if (!socket) {
    socket = createClient({
      url: graphqlUrls().ws,
      connectionParams: () => ({ authorization: `Bearer ${readToken()}` }),
      retryAttempts: 1000,
      shouldRetry: () => true,
    });
  }
  return socket;
}

// Calls `next(data)` for every event of a subscription; returns the function that ends it.
export function subscribe(query, next, fail = () => {}) {
  return client().subscribe(
    { query },
    {
      next: (result) => (result.errors ? fail(refusal(result.errors[0])) : next(result.data)),
      error: (error) => fail(new ApiError("network", "实时预警连接中断，正在重连。", String(error))),
      complete: () => {},
    },
  );
}

export function closeSocket() {
  socket?.dispose();
  socket = null;
}
