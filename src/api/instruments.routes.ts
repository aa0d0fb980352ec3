import { Router } from 'express';
import { actorOf, requireOperator, requireScope } from './auth.js';
import { deskOf } from './desk-of.js';
import { parse, parseQuery } from './validate.js';
import { undecodableParams } from './path-params.js';
import { bookQuery, createInstrumentBody, noQuery, patchInstrumentBody, setPriceBody, symbolParams } from './schemas.js';
import { rejected } from '../oms/errors.js';
import { bookJson, instrumentJson, publicTradeJson } from '../wire/serializers.js';
import type { ApiDeps } from './deps.js';
import type { Oms } from '../oms/oms.js';

const DEFAULT_TICK = 100; // 0.01 in price units

export function instrumentsRoutes({ history, desks }: ApiDeps): Router {
  const r = Router();
  const requireInstrument = (oms: Oms, symbol: string) => {
    const i = oms.instrument(symbol);
    if (!i) throw rejected('UNKNOWN_SYMBOL', `unknown symbol ${symbol}`, 'symbol');
    return i;
  };

  r.get('/instruments', requireScope('read'), (req, res) => {
    const oms = deskOf(res);
    parseQuery(noQuery, req);
    res.json({ data: oms.listInstruments().map((i) => instrumentJson(i, oms.marketOf(i.symbol))) });
  });

  r.post('/instruments', requireOperator('Instruments'), async (req, res) => {
    const oms = deskOf(res);
    parseQuery(noQuery, req);
    const body = parse(createInstrumentBody, req.body);
    const tick = body.tick_size === undefined ? DEFAULT_TICK : Number(body.tick_size);
    const ref = Number(body.reference_price);
    if (ref % tick !== 0) throw rejected('PRICE_OFF_TICK', 'reference_price must be a multiple of tick_size', 'reference_price');
    // Instruments are the deployment's: every desk's books take it.
    const i = await desks.addInstrument(
      // An instrument without a name goes by its symbol, never by an empty string.
      { symbol: body.symbol, name: body.name || body.symbol, tickSize: tick, lotSize: body.lot_size, referencePrice: ref, lastPrice: null },
      actorOf(res),
      oms,
    );
    res.status(201).json(instrumentJson(i, oms.marketOf(i.symbol)));
  });

  r.put('/instruments/:symbol/price', requireOperator('Instruments'), async (req, res) => {
    const oms = deskOf(res);
    const i = requireInstrument(oms, parse(symbolParams, req.params).symbol);
    parseQuery(noQuery, req);
    const body = parse(setPriceBody, req.body);
    await desks.setReferencePrice(i.symbol, Number(body.price), actorOf(res), oms);
    res.json(instrumentJson(i, oms.marketOf(i.symbol)));
  });

  r.patch('/instruments/:symbol', requireOperator('Instruments'), async (req, res) => {
    const oms = deskOf(res);
    const i = requireInstrument(oms, parse(symbolParams, req.params).symbol);
    parseQuery(noQuery, req);
    const body = parse(patchInstrumentBody, req.body);
    const set = await desks.setSession(i.symbol, body.session, actorOf(res), oms);
    res.json(instrumentJson(set, oms.marketOf(set.symbol)));
  });

  r.get('/book/:symbol', requireScope('read'), async (req, res) => {
    const oms = deskOf(res);
    const i = requireInstrument(oms, parse(symbolParams, req.params).symbol);
    const q = parseQuery(bookQuery, req);
    const trades = await history.trades({ deskId: oms.desk.id, symbol: i.symbol, limit: 20 });
    res.json({ ...bookJson(i, q.depth), trades: trades.data.map(publicTradeJson) });
  });

  r.use(undecodableParams(r));
  return r;
}
