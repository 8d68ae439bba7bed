import { useState } from "react";
import { ErrorBox } from "../ui.jsx";

export function SignIn({ error, onSignedIn }) {
  const [token, setToken] = useState("");
  const submit = (event) => {
    event.preventDefault();
    if (token.trim()) onSignedIn(token);
  };
  return (
    <div className="sign-in">
      <form onSubmit={submit}>
        <h1>县局情报研判平台</h1>
        <p>合成作战研判工作台 · 请登录</p>
        <ErrorBox error={error} />
        <label htmlFor="token">令牌或 API 密钥</label>
        <textarea
          id="token"
          rows={4}
          spellCheck="false"
          autoComplete="off"
          placeholder="粘贴登录令牌（JWT）或 API 密钥（hub_…）"
          value={token}
          onChange={(event) => setToken(event.target.value)}
        />
        <button type="submit">登录</button>
        <p className="hint">
          开发环境：运行 <code>hub demo</code> 后打开它打印的登录链接即可直接登录。
        </p>
      </form>
    </div>
  );
}
