/** Whether `name` is an IANA time zone this runtime knows (the policy's `timezone` fields and calendar TZIDs). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
