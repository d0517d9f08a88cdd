// Entry point of the SMTP sink child process: smtp-sink-main.ts <port> <mail dir>
import { startSmtpSink } from './smtp-sink-server.ts';

const [port, mailDir] = process.argv.slice(2);
if (!port || !mailDir) throw new Error('usage: smtp-sink-main.ts <port> <mail dir>');
await startSmtpSink(Number(port), mailDir);
process.on('SIGTERM', () => process.exit(0));
