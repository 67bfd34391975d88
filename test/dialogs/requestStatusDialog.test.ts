/**
 * RequestStatusDialog on its own (DialogTestClient), over the real request queue in Redis: a reference
 * number → open, done, or not found; it says nothing else about the request.
 */
import { RequestStatusDialog } from '../../dialogs/requestStatusDialog';
import { startDialogServices, type DialogFixture } from '../helpers/dialogs';

const ASK = 'What is the reference number of your request? It looks like R-7K3Q9P.';
const open = (id: string) => `Request ${id} is open: the practice has it and hasn't finished it yet. You'll hear from them by email or phone.`;
const done = (id: string) => `Request ${id} is done: the practice has completed it. Please check your email for what they sent.`;

let f: DialogFixture;

beforeAll(async () => {
  f = await startDialogServices('dlg-status');
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

const dialog = () => new RequestStatusDialog(f.deps);
const notFound = (id: string) => `I can't find a request with the reference ${id}. Please check the number, or call the practice at ${f.practice.phone}.`;

/** Files a request the way the practice-request flow does, and returns its reference. */
async function fileRequest(): Promise<string> {
  const outcome = await f.services.recovery.filePracticeRequest(
    { kind: 'token-renewal', firstName: 'Linh', lastName: 'Nguyen', dateOfBirth: '2001-09-30', contact: { email: 'linh.nguyen@example.com' } },
    f.services.caller(),
  );
  if (outcome.kind !== 'filed') throw new Error(`expected filed, got ${outcome.kind}`);
  return outcome.requestId;
}

describe('RequestStatusDialog', () => {
  it('asks for the reference, then says the request is open; ends with {}', async () => {
    const requestId = await fileRequest();
    const c = f.client(dialog());
    expect(await c.ask('any update on my request?')).toMatchObject({ text: ASK, buttons: [] });
    expect(await c.ask(`it's ${requestId.toLowerCase()}`)).toMatchObject({ text: open(requestId), buttons: [] });
    expect(c.result).toEqual({});
  });

  it('a resolved request is done, and the reply names nothing but the reference', async () => {
    const requestId = await fileRequest();
    expect((await f.services.services.requests.resolve(requestId, { patientId: 'P-1005' })).ok).toBe(true);
    const c = f.client(dialog());
    await c.ask('status of my request');
    const reply = await c.ask(requestId.replace('-', ' '));
    expect(reply.text).toBe(done(requestId));
    for (const detail of ['Linh', 'Nguyen', '2001', 'linh.nguyen']) expect(reply.text).not.toContain(detail);
    expect(c.result).toEqual({});
  });

  it('with { requestId } it answers at once, without asking', async () => {
    const requestId = await fileRequest();
    const c = f.client(dialog(), { requestId });
    expect(await c.ask(`status of ${requestId}`)).toMatchObject({ text: open(requestId) });
    expect(c.result).toEqual({});
  });

  it('an unknown reference gets "can\'t find" with the practice phone, like any other', async () => {
    const c = f.client(dialog());
    await c.ask('status of my request');
    expect(await c.ask('R-2222ZZ')).toMatchObject({ text: notFound('R-2222ZZ') });
    expect(c.result).toEqual({});
  });

  it('no reference in the answer (a new question, or "I lost it") is handed back: reroute, not re-asked', async () => {
    for (const typed of ['how do I enroll in the portal', 'I lost it']) {
      const c = f.client(dialog());
      await c.ask('status of my request');
      expect(await c.send(typed)).toEqual([]);
      expect(c.result).toEqual({ reroute: true });
    }
  });
});
