import { renderActivity, splitText, SMS_MAX_LENGTH } from '../../bot/render';
import { matchChoice, type BotReply, type Choice } from '../../dialogs/input';
import { replyActivity } from '../../dialogs/prompts';

/** What a dialog sends (a neutral activity), drawn for the channel. */
const renderReply = (channelId: string, reply: BotReply) => renderActivity(channelId, replyActivity(reply));

const choices: Choice[] = [
  { label: 'Recover my username', value: 'Recover my username', synonyms: ['username'] },
  { label: 'Reset my password', value: 'Reset my password' },
  { label: 'My token does not work', value: 'My token does not work' },
  { label: 'Talk to a person', value: 'Talk to a person' },
];

describe('channel rendering', () => {
  it('gives web chat suggested actions', () => {
    const [a] = renderReply('webchat', { text: 'Pick one', choices });
    expect(a.text).toBe('Pick one');
    expect(a.suggestedActions?.actions.map((x) => x.title)).toEqual(choices.map((c) => c.label));
    expect(a.suggestedActions?.actions[0]).toMatchObject({ type: 'imBack', value: 'Recover my username' });
  });

  it('gives Teams a hero card with at most 3 actions and names the rest in text', () => {
    const [a] = renderReply('msteams', { text: 'Pick one', choices });
    const card = a.attachments?.[0];
    expect(card?.contentType).toBe('application/vnd.microsoft.card.hero');
    const content = card?.content as { text: string; buttons: Array<{ title: string }> };
    expect(content.buttons).toHaveLength(3);
    expect(content.text).toContain('Talk to a person');
    expect(a.suggestedActions).toBeUndefined();
  });

  it('gives SMS plain numbered text, no buttons', () => {
    const [a] = renderReply('sms', { text: 'Pick one', choices });
    expect(a.text).toBe('Pick one\n\nReply 1 for Recover my username\nReply 2 for Reset my password\nReply 3 for My token does not work\nReply 4 for Talk to a person');
    expect(a.suggestedActions).toBeUndefined();
    expect(a.attachments).toBeUndefined();
  });

  it('turns a numbered list in SMS text into bullets when numbered choices follow', () => {
    const [a] = renderReply('sms', { text: 'Ways:\n1. A token\n2. An invite', choices: choices.slice(0, 2) });
    expect(a.text).toBe('Ways:\n- A token\n- An invite\n\nReply 1 for Recover my username\nReply 2 for Reset my password');
    const [yn] = renderReply('sms', { text: 'Shall I?', choices: [{ label: 'Yes', value: 'Yes' }, { label: 'No', value: 'No' }] });
    expect(yn.text).toBe('Shall I?\n\nReply YES or NO');
  });

  it('splits long SMS into parts of at most 459 characters (3 segments) without losing words', () => {
    const paragraph = 'word '.repeat(80).trim();
    const text = [paragraph, paragraph, paragraph].join('\n\n');
    const parts = renderReply('sms', { text }).map((p) => p.text ?? '');
    expect(parts).toHaveLength(3); // one 399-character paragraph per part
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(SMS_MAX_LENGTH);
    expect(parts.join(' ').split(/\s+/).length).toBe(240);
    expect(splitText('x'.repeat(4000))).toHaveLength(9);
  });

  it('accepts a number, the words, a button value or a synonym as the answer', () => {
    expect(matchChoice('2', choices)?.label).toBe('Reset my password');
    expect(matchChoice(' #2 ', choices)?.label).toBe('Reset my password');
    expect(matchChoice('reset my password!', choices)?.label).toBe('Reset my password');
    expect(matchChoice('Username', choices)?.label).toBe('Recover my username');
    expect(matchChoice('9', choices)).toBeUndefined();
    expect(matchChoice('something else entirely', choices)).toBeUndefined();
  });
});
