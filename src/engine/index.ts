export { OrderBook } from './order-book.js';
export type * from './types.js';
