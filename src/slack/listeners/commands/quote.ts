import { buildQuote } from '../../blocks/quote.js';
import { parseQuoteArgs, QUOTE_USAGE } from '../../commands/command-args.js';
import { replyInChannel } from '../replies.js';
import { parsedCommand } from './parsed-command.js';

/** `/quote SYMBOL`: top of book, last and reference price, and where prices come from, in the channel. */
export const quoteCommand = parsedCommand(QUOTE_USAGE, parseQuoteArgs, async (deps, { args: symbol, respond, oms }) => {
  const [book, instrument] = await Promise.all([oms.getBook(symbol, 1), oms.getInstrument(symbol)]);
  await replyInChannel(respond, deps.logger, buildQuote(book, instrument));
});
