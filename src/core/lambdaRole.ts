// Lambda's words about a function's execution role, in one place: which messages mean "the role
// is not there or not trusted" (recheck it once) and which mean "not propagated yet" (wait).

/** Lambda cannot assume the role: missing, not trusted by Lambda, or not propagated yet. */
const CANNOT_BE_ASSUMED = /role.*cannot be assumed|cannot be assumed.*role/i;
const DOES_NOT_EXIST = /role.*does not exist/i;
// Lambda's other words while a new IAM role has not propagated yet.
const STILL_PROPAGATING = /role.*(assume|permission)|assume.*role|execution role/i;

/** Lambda rejected the role a call named (InvalidParameterValueException's message). */
export function roleRejectedMessage(message: string): boolean {
  return CANNOT_BE_ASSUMED.test(message) || DOES_NOT_EXIST.test(message);
}

/** The message says the role may just not have propagated yet: worth waiting for. */
export function roleNotReadyMessage(message: string): boolean {
  return CANNOT_BE_ASSUMED.test(message) || STILL_PROPAGATING.test(message);
}
