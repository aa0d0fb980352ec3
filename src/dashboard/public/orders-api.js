// The two REST calls the order ticket makes (docs/api.md): POST /api/v1/orders and
// DELETE /api/v1/orders/{id}, with the key entered in the dashboard (trade scope) in X-API-Key.
// A refusal answers the API's own error code and message, to be shown as they are.

async function call(method, path, key, body) {
  let res;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers: { 'X-API-Key': key, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (err) {
    return { ok: false, code: 'NETWORK', message: `the server could not be reached (${err?.message ?? err})` };
  }
  let json = null;
  try {
    json = await res.json();
  } catch {
    /* not JSON: reported by status below */
  }
  if (res.ok) return { ok: true, data: json };
  const error = json?.error;
  const detail = Array.isArray(error?.details) && error.details.length ? error.details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ') : '';
  const message = error?.message ?? `HTTP ${res.status}`;
  return { ok: false, code: error?.code ?? `HTTP_${res.status}`, message: detail && !message.includes(detail) ? `${message} (${detail})` : message };
}

/**
 * The ticket's fields as the API takes them: quantity a whole number (sent as typed otherwise, so the
 * API says what is wrong with it), prices as the decimal strings typed.
 */
export function orderBody({ symbol, side, type, quantity, limitPrice, portfolio }) {
  const q = String(quantity ?? '').trim();
  const body = { symbol, side, type, quantity: /^\d+$/.test(q) ? Number(q) : q, portfolio_name: portfolio };
  if (type === 'LIMIT') body.limit_price = String(limitPrice ?? '').trim();
  return body;
}

export function placeOrder(key, fields) {
  return call('POST', '/orders', key, orderBody(fields));
}

export function cancelOrder(key, id) {
  return call('DELETE', `/orders/${encodeURIComponent(id)}`, key);
}
