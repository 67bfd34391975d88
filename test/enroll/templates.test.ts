/** The enrollment mail templates render branded, with every field, and tell the reader what to do if they did not ask. */
import { loadTemplates, renderTemplate, type Brand } from '../../services/mail/templates';

const brand: Brand = { practiceName: 'Maple & Oak Clinic', practicePhone: '(555) 010-0199', practiceHours: 'Mon-Fri 08:00-17:00' };
const sample = {
  'enroll-invitation': { enrollUrl: 'https://help.example.org/enroll?token=abc', days: '7' },
  'verify-email': { verifyUrl: 'https://help.example.org/enroll/verify?token=abc', hours: '48' },
} as const;

it.each(Object.entries(sample))('%s renders', (name, data) => {
  const mail = renderTemplate(loadTemplates(), name as keyof typeof sample, { ...data }, brand);
  expect(mail.subject).toContain('Maple & Oak Clinic');
  for (const body of [mail.text, mail.html]) {
    expect(body).toContain('(555) 010-0199');
    expect(body).not.toMatch(/\{\{|\}\}/);
    for (const value of Object.values(data)) expect(body).toContain(value);
  }
  expect(mail.text).toMatch(/didn't ask/);
});
