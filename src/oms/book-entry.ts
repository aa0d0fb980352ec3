import type { NewOrderCommand } from '../engine/index.js';
import type { OrderRecord } from './model.js';

/** The engine command that enters an order in its book: when placed, or once approved after waiting. */
export function bookEntry(order: OrderRecord): NewOrderCommand {
  return {
    type: 'NEW',
    id: order.id,
    owner: order.portfolioId,
    side: order.side,
    orderType: order.type,
    tif: order.tif,
    quantity: order.quantity,
    price: order.limitPrice ?? undefined,
    stopPrice: order.stopPrice ?? undefined,
  };
}
