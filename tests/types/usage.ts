// A page's use of the JS API, type-checked against natter.d.ts by `make test`
// (`tsc --noEmit`). The lines marked @ts-expect-error must stay errors.
import type { NatterIdentity } from '../../www/static/natter.d.ts';

const off: () => void = Natter.on('message:received', (message) => {
  const words: string = message.text;
  const seq: number = message.seq;
  console.log(words, seq, message.author);
});
off();
Natter.on('unread', (count) => console.log(count.toFixed(0)));
Natter.on('status', (status) => console.log(status === 'online'));
Natter.on('action', ({ name, action }) => console.log(name, action === 'open_with_sound'));
Natter.on('error', ({ message }) => console.warn(message));
const ready = () => console.log('ready');
Natter.on('ready', ready);
Natter.off('ready', ready);

Natter.open();
Natter.close();
Natter.toggle();
const open: boolean = Natter.isOpen();
Natter.show();
Natter.hide();
Natter.sendMessage('Hello').then((stored: boolean) => console.log(stored, open));
const unread: number = Natter.unreadCount();
Natter.setVisitor({ name: 'Ann', email: 'ann@example.com' });
Natter.setAttributes({ plan: 'pro', seats: 5, trial: false, coupon: null });
const identity: NatterIdentity = { id: 'u-42', name: 'Ann', expires: 1_900_000_000, signature: 'ab'.repeat(32) };
Natter.identify(identity).then((verified) => console.log(verified, unread));
Natter.reset();
Natter.setLocale('ru');
Natter.configure({ header_color: '#123456', position: 'tab_bottom_left', texts: { en: { online_title: 'Hi' } } });
Natter.runAction('Greeting');
window.Natter('open');

// @ts-expect-error: no such event
Natter.on('opened', () => {});
// @ts-expect-error: 'de' is not a locale
Natter.setLocale('de');
// @ts-expect-error: configure takes appearance only
Natter.configure({ rules: [] });
// @ts-expect-error: the text is a string
Natter.sendMessage(42);
// @ts-expect-error: an identity needs its signature
Natter.identify({ id: 'u-1', expires: 1 });
