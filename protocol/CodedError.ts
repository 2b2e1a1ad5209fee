// The shape of the errors whose callers switch on a string code (AtKeysError, CryptoError,
// StoreError): a code from the subclass's own union, and the subclass's name.

export class CodedError<Code extends string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}
