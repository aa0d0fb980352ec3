export { DEFAULT_BOOK_CAPACITY, OrderBook } from './order-book.js';
export {
  ACCEPTED,
  CANCELED,
  EXPIRED,
  EventBuffer,
  MODIFIED,
  REJECTED,
  RESTED,
  TRADE,
  TRIGGERED,
} from './event-buffer.js';
export type * from './types.js';
