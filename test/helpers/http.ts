// A tiny browser-like HTTP client for journey tests: keeps cookies, reads forms.
export class Browser {
  private cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  }

  async get(path: string, init: RequestInit = {}): Promise<{ status: number; body: string; headers: Headers }> {
    const res = await fetch(new URL(path, this.base), { ...init, redirect: 'manual', headers: { cookie: this.cookieHeader(), ...(init.headers as Record<string, string>) } });
    this.remember(res);
    return { status: res.status, body: await res.text(), headers: res.headers };
  }

  async post(path: string, form: Record<string, string | string[]>, init: RequestInit = {}): Promise<{ status: number; body: string; headers: Headers }> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const item of Array.isArray(v) ? v : [v]) params.append(k, item);
    const res = await fetch(new URL(path, this.base), {
      ...init,
      method: 'POST',
      redirect: 'manual',
      body: params,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookieHeader(), ...(init.headers as Record<string, string>) },
    });
    this.remember(res);
    return { status: res.status, body: await res.text(), headers: res.headers };
  }
}

export function hiddenField(page: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
  if (!m) throw new Error(`No hidden field "${name}" in page`);
  return m[1]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

/**
 * Every http(s) link in an email's HTML or text. Prose around a link in the text version
 * ("(https://…/effacer?t=…).") is not part of it: trailing sentence punctuation is dropped, and a
 * closing parenthesis too unless the link itself opened one.
 */
export function linksIn(htmlOrText: string): string[] {
  return [...htmlOrText.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((m) => trimLinkEnd(m[0].replace(/&amp;/g, '&')));
}

function trimLinkEnd(link: string): string {
  let out = link;
  for (;;) {
    const last = out.at(-1);
    if (last !== undefined && '.,;:!?»'.includes(last)) out = out.slice(0, -1);
    else if (last === ')' && out.split('(').length < out.split(')').length) out = out.slice(0, -1);
    else return out;
  }
}
