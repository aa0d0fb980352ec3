import { z } from 'zod';
import {
  createInstrumentBody,
  createKeyBody,
  createPortfolioBody,
  listOrdersQuery,
  listTradesQuery,
  modifyOrderBody,
  placeOrderBody,
  setPriceBody,
  simpleTradeBody,
} from './schemas.js';

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

const body = (schema: z.ZodType) => ({
  required: true,
  content: { 'application/json': { schema: json(schema) } },
});

const queryParams = (schema: z.ZodObject) =>
  Object.keys(schema.shape).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } }));

const pathParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });

const ok = (description: string) => ({
  description,
  content: { 'application/json': { schema: { type: 'object' } } },
});

const errorResponse = {
  description: 'error',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: {
          error: {
            type: 'object',
            properties: {
              code: { type: 'string' },
              message: { type: 'string' },
              details: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
            },
          },
        },
      },
    },
  },
};

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
        post: { summary: 'Place an order', requestBody: body(placeOrderBody), responses: { '201': ok('the order and its fills'), '200': ok('the original order of a repeated client_order_id'), ...errors } },
        get: { summary: 'List orders', parameters: queryParams(listOrdersQuery), responses: { '200': ok('a page of orders'), ...errors } },
      },
      '/orders/{id}': {
        get: { summary: 'Fetch an order with its fills', parameters: [pathParam('id')], responses: { '200': ok('order'), ...errors } },
        patch: { summary: 'Modify quantity and/or prices', parameters: [pathParam('id')], requestBody: body(modifyOrderBody), responses: { '200': ok('order'), ...errors } },
        delete: { summary: 'Cancel', parameters: [pathParam('id')], responses: { '200': ok('the canceled order'), ...errors } },
      },
      '/trade': { post: { summary: 'Simple paper trade', requestBody: body(simpleTradeBody), responses: { '201': ok('{success, trade_id, message, trade}'), ...errors } } },
      '/trades': { get: { summary: 'Trade history', parameters: queryParams(listTradesQuery), responses: { '200': ok('a page of trades'), ...errors } } },
      '/trades/{trade_id}': { get: { summary: 'One trade', parameters: [pathParam('trade_id')], responses: { '200': ok('trade'), ...errors } } },
      '/portfolios': {
        get: { summary: 'List portfolios', responses: { '200': ok('portfolios'), ...errors } },
        post: { summary: 'Create a portfolio', requestBody: body(createPortfolioBody), responses: { '201': ok('portfolio summary'), ...errors } },
      },
      '/portfolio/{name}': { get: { summary: 'Portfolio summary', parameters: [pathParam('name')], responses: { '200': ok('summary'), ...errors } } },
      '/book/{symbol}': { get: { summary: 'Order book snapshot and recent trades', parameters: [pathParam('symbol'), { name: 'depth', in: 'query', schema: { type: 'integer' } }], responses: { '200': ok('book'), ...errors } } },
      '/instruments': {
        get: { summary: 'List instruments', responses: { '200': ok('instruments'), ...errors } },
        post: { summary: 'Add an instrument (admin)', requestBody: body(createInstrumentBody), responses: { '201': ok('instrument'), ...errors } },
      },
      '/instruments/{symbol}/price': { put: { summary: 'Set the reference price (admin)', parameters: [pathParam('symbol')], requestBody: body(setPriceBody), responses: { '200': ok('instrument'), ...errors } } },
      '/keys': {
        get: { summary: 'List API keys (admin; never the keys themselves)', responses: { '200': ok('keys'), ...errors } },
        post: { summary: 'Create an API key (admin); the answer shows the key once', requestBody: body(createKeyBody), responses: { '201': ok('the key record and the key'), ...errors } },
      },
      '/keys/{id}': { delete: { summary: 'Revoke an API key (admin)', parameters: [pathParam('id')], responses: { '200': ok('the revoked key record'), ...errors } } },
      // Outside /api/v1, unlike every other path.
      '/health': { servers: [{ url: '/' }], get: { summary: 'Liveness and database check', security: [], responses: { '200': ok('ok'), '503': errorResponse } } },
    },
  };
}
