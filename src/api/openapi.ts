import { z } from 'zod';
import {
  bookQuery,
  barsQuery,
  createDeskBody,
  createInstrumentBody,
  createKeyBody,
  createPortfolioBody,
  idParams,
  listOrdersQuery,
  listTradesQuery,
  modifyOrderBody,
  nameParams,
  placeOrderBody,
  portfolioCashBody,
  resetPortfolioBody,
  setPriceBody,
  patchInstrumentBody,
  simpleTradeBody,
  symbolParams,
  tradeIdParams,
  deskFeesBody,
  equityPeriodQuery,
  memberParams,
  channelParams,
  channelPortfolioParams,
  putMemberBody,
  riskStateBody,
  portfolioLimitsBody,
  orderDecisionBody,
} from './schemas.js';
import {
  bookWithTradesOut,
  barListOut,
  healthNotReadyOut,
  deskCreatedOut,
  deskListOut,
  errorOut,
  healthOut,
  instrumentListOut,
  instrumentOut,
  keyCreatedOut,
  keyListOut,
  keyOut,
  orderOut,
  orderPageOut,
  orderWithFillsOut,
  portfolioListOut,
  portfolioSummaryOut,
  simpleTradeOut,
  tradeOut,
  tradePageOut,
  feesOut,
  leaderboardOut,
  equityCurveOut,
  memberOut,
  memberListOut,
  memberViewOut,
  channelOut,
  channelListOut,
  deskRiskOut,
  deskRiskChangeOut,
  portfolioRiskOut,
  portfolioRiskChangeOut,
  clusterOut,
} from '../wire/response-schemas.js';

const json = (schema: z.ZodType): Record<string, unknown> => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

const body = (schema: z.ZodType) => ({
  required: true,
  content: { 'application/json': { schema: json(schema) } },
});

/** Each parameter with its own bounds and form, as its schema checks them; the document adds no other. */
const queryParams = (schema: z.ZodObject) =>
  Object.entries(schema.shape).map(([name, field]) => {
    const { $schema: _, ...param } = json(field as z.ZodType);
    return { name, in: 'query', required: false, schema: param };
  });

const pathParam = (name: string, schema?: z.ZodObject) => {
  const field = schema?.shape[name] as z.ZodType | undefined;
  const param = field === undefined ? { type: 'string' } : (({ $schema: _, ...rest }) => rest)(json(field));
  return { name, in: 'path', required: true, schema: param };
};

/** An answer's schema as the server produces it (io: output). */
const ok = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) } },
});

const errorResponse = ok('error', errorOut);

/**
 * The answer of each route when it succeeds, by "METHOD /path" as the document names it (/health
 * included, though it lives outside /api/v1). The document's responses come from here, and the API
 * tests hold every real answer to it.
 */
export const ANSWERS = {
  'POST /orders': orderWithFillsOut,
  'GET /orders': orderPageOut,
  'GET /orders/{id}': orderWithFillsOut,
  'PATCH /orders/{id}': orderWithFillsOut,
  'DELETE /orders/{id}': orderOut,
  'POST /trade': simpleTradeOut,
  'GET /trades': tradePageOut,
  'GET /trades/{trade_id}': tradeOut,
  'GET /portfolios': portfolioListOut,
  'POST /portfolios': portfolioSummaryOut,
  'GET /portfolio/{name}': portfolioSummaryOut,
  'POST /portfolios/{name}/cash': portfolioSummaryOut,
  'POST /portfolios/{name}/reset': portfolioSummaryOut,
  'GET /book/{symbol}': bookWithTradesOut,
  'GET /instruments': instrumentListOut,
  'POST /instruments': instrumentOut,
  'PUT /instruments/{symbol}/price': instrumentOut,
  'PATCH /instruments/{symbol}': instrumentOut,
  'GET /keys': keyListOut,
  'POST /keys': keyCreatedOut,
  'DELETE /keys/{id}': keyOut,
  'GET /desks': deskListOut,
  'POST /desks': deskCreatedOut,
  'GET /fees': feesOut,
  'PUT /fees': feesOut,
  'GET /health': healthOut,
  'GET /bars/{symbol}': barListOut,
  'GET /leaderboard': leaderboardOut,
  'GET /portfolios/{name}/equity': equityCurveOut,
  'GET /members': memberListOut,
  'GET /members/{member}': memberViewOut,
  'PUT /members/{member}': memberOut,
  'DELETE /members/{member}': memberOut,
  'GET /channels': channelListOut,
  'PUT /channels/{channel}/portfolios/{portfolio}': channelOut,
  'DELETE /channels/{channel}/portfolios/{portfolio}': channelOut,
  'PUT /channels/{channel}/trading': channelOut,
  'DELETE /channels/{channel}/trading': channelOut,
  'GET /desk/risk-state': deskRiskOut,
  'PUT /desk/risk-state': deskRiskChangeOut,
  'GET /portfolios/{name}/risk-state': portfolioRiskOut,
  'PUT /portfolios/{name}/risk-state': portfolioRiskChangeOut,
  'PUT /portfolios/{name}/limits': portfolioRiskOut,
  'POST /orders/{id}/approve': orderWithFillsOut,
  'POST /orders/{id}/reject': orderOut,
  'GET /cluster': clusterOut,
} as const satisfies Record<string, z.ZodType>;

const errors = {
  '400': errorResponse,
  '401': errorResponse,
  '403': errorResponse,
  '404': errorResponse,
  '409': errorResponse,
  '413': errorResponse,
  '415': errorResponse,
  '422': errorResponse,
  '429': errorResponse,
  // Answered before routing, by any path: request line and headers over 16 KiB.
  '431': errorResponse,
};

/** The OpenAPI document, built from the same zod schemas that validate requests. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'Paper desk OMS', version: '1.0.0', description: 'Paper trading OMS with a real matching engine.' },
    servers: [{ url: '/api/v1' }],
    components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } } },
    security: [{ apiKey: [] }],
    paths: {
      '/orders': {
        post: { summary: 'Place an order', requestBody: body(placeOrderBody), responses: { '201': ok('the order and the fills it made at once', ANSWERS['POST /orders']), '202': ok("the order, PENDING_APPROVAL: above its portfolio's approval threshold, it holds its cash or shares and enters the book once another approver approves it", ANSWERS['POST /orders']), '200': ok('the original order of a repeated client_order_id, with its fills as they are now', ANSWERS['POST /orders']), ...errors } },
        get: { summary: 'List orders', parameters: queryParams(listOrdersQuery), responses: { '200': ok('a page of orders, newest first', ANSWERS['GET /orders']), ...errors } },
      },
      '/orders/{id}': {
        get: { summary: 'Fetch an order with its fills', parameters: [pathParam('id', idParams)], responses: { '200': ok('the order with its fills', ANSWERS['GET /orders/{id}']), ...errors } },
        patch: { summary: 'Modify quantity and/or prices', parameters: [pathParam('id', idParams)], requestBody: body(modifyOrderBody), responses: { '200': ok('the order with the fills the change made', ANSWERS['PATCH /orders/{id}']), ...errors } },
        delete: { summary: 'Cancel', parameters: [pathParam('id', idParams)], responses: { '200': ok('the canceled order', ANSWERS['DELETE /orders/{id}']), ...errors } },
      },
      '/trade': { post: { summary: 'Simple paper trade', requestBody: body(simpleTradeBody), responses: { '201': ok('executed or booked', ANSWERS['POST /trade']), '200': ok('nothing executed (success false), or the original outcome of a repeated client_order_id', ANSWERS['POST /trade']), ...errors } } },
      '/trades': { get: { summary: 'Trade history', parameters: queryParams(listTradesQuery), responses: { '200': ok('a page of trades', ANSWERS['GET /trades']), ...errors } } },
      '/trades/{trade_id}': { get: { summary: 'One trade', parameters: [pathParam('trade_id', tradeIdParams)], responses: { '200': ok('the trade', ANSWERS['GET /trades/{trade_id}']), ...errors } } },
      '/portfolios': {
        get: { summary: 'List portfolios', responses: { '200': ok('the portfolios the key may use', ANSWERS['GET /portfolios']), ...errors } },
        post: { summary: 'Create a portfolio', requestBody: body(createPortfolioBody), responses: { '201': ok('portfolio summary', ANSWERS['POST /portfolios']), ...errors } },
      },
      '/portfolios/{name}/cash': { post: { summary: 'Deposit or withdraw cash (admin)', parameters: [pathParam('name', nameParams)], requestBody: body(portfolioCashBody), responses: { '200': ok('portfolio summary', ANSWERS['POST /portfolios/{name}/cash']), ...errors } } },
      '/portfolios/{name}/reset': { post: { summary: 'Start the portfolio afresh: open orders canceled, positions cleared, cash set (admin)', parameters: [pathParam('name', nameParams)], requestBody: { ...body(resetPortfolioBody), required: false }, responses: { '200': ok('portfolio summary', ANSWERS['POST /portfolios/{name}/reset']), ...errors } } },
      '/portfolio/{name}': { get: { summary: 'Portfolio summary', parameters: [pathParam('name', nameParams)], responses: { '200': ok('portfolio summary', ANSWERS['GET /portfolio/{name}']), ...errors } } },
      '/book/{symbol}': { get: { summary: 'Order book snapshot and recent trades', parameters: [pathParam('symbol', symbolParams), ...queryParams(bookQuery)], responses: { '200': ok('book levels, best first, and recent trades', ANSWERS['GET /book/{symbol}']), ...errors } } },
      '/instruments': {
        get: { summary: 'List instruments', responses: { '200': ok('instruments', ANSWERS['GET /instruments']), ...errors } },
        post: { summary: 'Add an instrument to every desk (operator)', requestBody: body(createInstrumentBody), responses: { '201': ok('instrument', ANSWERS['POST /instruments']), ...errors } },
      },
      '/instruments/{symbol}': { patch: { summary: "Set an instrument's trading session (operator; every desk)", parameters: [pathParam('symbol', symbolParams)], requestBody: body(patchInstrumentBody), responses: { '200': ok('instrument', ANSWERS['PATCH /instruments/{symbol}']), ...errors } } },
      '/instruments/{symbol}/price': { put: { summary: 'Set the reference price in every desk (operator)', parameters: [pathParam('symbol', symbolParams)], requestBody: body(setPriceBody), responses: { '200': ok('instrument', ANSWERS['PUT /instruments/{symbol}/price']), ...errors } } },
      '/keys': {
        get: { summary: 'List API keys (admin; never the keys themselves; a key limited to some portfolios sees those limited within them)', responses: { '200': ok('keys', ANSWERS['GET /keys']), ...errors } },
        post: { summary: 'Create an API key (admin); the answer shows the key once', requestBody: body(createKeyBody), responses: { '201': ok('the key record and the key', ANSWERS['POST /keys']), ...errors } },
      },
      '/keys/{id}': { delete: { summary: 'Revoke an API key (admin)', parameters: [pathParam('id', idParams)], responses: { '200': ok('the revoked key record', ANSWERS['DELETE /keys/{id}']), ...errors } } },
      '/desks': {
        get: { summary: 'List the desks of the deployment (operator)', responses: { '200': ok('desks', ANSWERS['GET /desks']), ...errors } },
        post: { summary: "Make a desk (operator); the answer shows its first admin key once", requestBody: body(createDeskBody), responses: { '201': ok('the desk and its admin key', ANSWERS['POST /desks']), ...errors } },
      },
      '/bars/{symbol}': { get: { summary: 'Bars (candles) of an instrument, oldest first: from `from` on, or the latest before `to` (default now)', parameters: [pathParam('symbol', symbolParams), ...queryParams(barsQuery)], responses: { '200': ok('the bars, oldest first', ANSWERS['GET /bars/{symbol}']), ...errors } } },
      '/fees': {
        get: { summary: "The desk's fee schedule, charged on each fill of a client order", responses: { '200': ok('the fee schedule', ANSWERS['GET /fees']), ...errors } },
        put: { summary: "Set the desk's fee schedule (admin, limited to no portfolio); charged from the next fill on", requestBody: body(deskFeesBody), responses: { '200': ok('the fee schedule now', ANSWERS['PUT /fees']), ...errors } },
      },
      '/leaderboard': { get: { summary: "The desk's portfolios (those the key may read) ranked by return over the period: from the equity it started at (the first snapshot of the period, else the last before it, else the starting cash) to the equity now", parameters: queryParams(equityPeriodQuery), responses: { '200': ok('the ranking, best return first', ANSWERS['GET /leaderboard']), ...errors } } },
      '/portfolios/{name}/equity': { get: { summary: "A portfolio's equity curve over the period: its start, the snapshots since (at most about 500, evenly thinned) and the equity now", parameters: [pathParam('name', nameParams), ...queryParams(equityPeriodQuery)], responses: { '200': ok('the curve, oldest first', ANSWERS['GET /portfolios/{name}/equity']), ...errors } } },
      '/members': { get: { summary: "The desk's members and their roles (admin)", responses: { '200': ok('members', ANSWERS['GET /members']), ...errors } } },
      '/members/{member}': {
        get: { summary: 'A Slack user as the desk sees them: role (null: no member) and admins (admin, or the member themselves through On-Behalf-Of)', parameters: [pathParam('member', memberParams)], responses: { '200': ok('the member', ANSWERS['GET /members/{member}']), ...errors } },
        put: { summary: "Give a Slack user a role (admin); the first member of a desk without any may name themselves admin", parameters: [pathParam('member', memberParams)], requestBody: body(putMemberBody), responses: { '200': ok('the member now', ANSWERS['PUT /members/{member}']), ...errors } },
        delete: { summary: 'Remove a member (admin); the last admin stays', parameters: [pathParam('member', memberParams)], responses: { '200': ok('the member removed', ANSWERS['DELETE /members/{member}']), ...errors } },
      },
      '/channels': { get: { summary: "Channels' portfolio grants and the desk's trading channels", responses: { '200': ok('channels', ANSWERS['GET /channels']), ...errors } } },
      '/channels/{channel}/portfolios/{portfolio}': {
        put: { summary: "Let a channel's traders trade a portfolio (admin)", parameters: [pathParam('channel', channelPortfolioParams), pathParam('portfolio', channelPortfolioParams)], responses: { '200': ok('the channel now', ANSWERS['PUT /channels/{channel}/portfolios/{portfolio}']), ...errors } },
        delete: { summary: "Take a channel's grant of a portfolio back (admin)", parameters: [pathParam('channel', channelPortfolioParams), pathParam('portfolio', channelPortfolioParams)], responses: { '200': ok('the channel now', ANSWERS['DELETE /channels/{channel}/portfolios/{portfolio}']), ...errors } },
      },
      '/channels/{channel}/trading': {
        put: { summary: "List a channel among the desk's trading channels (admin): once any is listed, members trade only from those", parameters: [pathParam('channel', channelParams)], responses: { '200': ok('the channel now', ANSWERS['PUT /channels/{channel}/trading']), ...errors } },
        delete: { summary: "Take a channel off the desk's trading channels (admin)", parameters: [pathParam('channel', channelParams)], responses: { '200': ok('the channel now', ANSWERS['DELETE /channels/{channel}/trading']), ...errors } },
      },
      '/desk/risk-state': {
        get: { summary: "The desk's trading state: ACTIVE, REDUCING or HALTED", responses: { '200': ok('the state', ANSWERS['GET /desk/risk-state']), ...errors } },
        put: { summary: 'Halt, resume or set the desk reduce-only (approve scope); a halt may cancel every open order', requestBody: body(riskStateBody), responses: { '200': ok('the state now, and how many orders the halt canceled or rejected', ANSWERS['PUT /desk/risk-state']), ...errors } },
      },
      '/portfolios/{name}/risk-state': {
        get: { summary: "A portfolio's trading state and limits (and the desk's state)", parameters: [pathParam('name', nameParams)], responses: { '200': ok('state and limits', ANSWERS['GET /portfolios/{name}/risk-state']), ...errors } },
        put: { summary: 'Halt, resume or set a portfolio reduce-only (approve scope); a halt may cancel its open orders', parameters: [pathParam('name', nameParams)], requestBody: body(riskStateBody), responses: { '200': ok('state and limits, and how many orders the halt canceled or rejected', ANSWERS['PUT /portfolios/{name}/risk-state']), ...errors } },
      },
      '/portfolios/{name}/limits': { put: { summary: "Set a portfolio's limits and approval threshold (approve scope); a field left out keeps its value, null lifts it", parameters: [pathParam('name', nameParams)], requestBody: body(portfolioLimitsBody), responses: { '200': ok('state and limits', ANSWERS['PUT /portfolios/{name}/limits']), ...errors } } },
      '/orders/{id}/approve': { post: { summary: 'Approve an order awaiting approval (approve scope; never its placer): it enters the book now', parameters: [pathParam('id', idParams)], requestBody: { ...body(orderDecisionBody), required: false }, responses: { '200': ok('the order with the fills it made at once', ANSWERS['POST /orders/{id}/approve']), ...errors } } },
      '/orders/{id}/reject': { post: { summary: 'Reject an order awaiting approval (approve scope; never its placer): REJECTED with the reason', parameters: [pathParam('id', idParams)], requestBody: { ...body(orderDecisionBody), required: false }, responses: { '200': ok('the rejected order', ANSWERS['POST /orders/{id}/reject']), ...errors } } },
      '/cluster': { get: { summary: 'The OMS processes of a cluster and the owner and lease epoch of each desk (operator)', responses: { '200': ok('members and desks', ANSWERS['GET /cluster']), ...errors } } },
      // Outside /api/v1, unlike every other path.
      '/health': { servers: [{ url: '/' }], get: { summary: 'Readiness: the database, every desk, the Slack bot', security: [], responses: { '200': ok('ok', ANSWERS['GET /health']), '503': ok('starting or degraded (back by itself), or an error: the database is unreachable, another OMS took over', z.union([healthNotReadyOut, errorOut])) } } },
    },
  };
}
