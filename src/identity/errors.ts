/**
 * The one table of Keystone errors: handlers throw these, and the server
 * renders them as {"error": {"code", "message", "title"}}, as Keystone does.
 */
export class KeystoneError extends Error {
  constructor(
    readonly code: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

export const Errors = {
  badRequest: (message: string) => new KeystoneError(400, 'Bad Request', message),
  validation: (message: string) =>
    new KeystoneError(400, 'Bad Request', `${message}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`),
  unauthorized: (why = 'The request you have made requires authentication.') => new KeystoneError(401, 'Unauthorized', why),
  forbidden: (action: string) => new KeystoneError(403, 'Forbidden', `You are not authorized to perform the requested action: ${action}.`),
  forbiddenAction: (message: string) => new KeystoneError(403, 'Forbidden', message),
  notFound: (kind: string, id: string) => new KeystoneError(404, 'Not Found', `Could not find ${kind}: ${id}.`),
  /** a 404 whose message is not "Could not find <kind>" (keystone's plain NotFound) */
  notFoundMessage: (message: string) => new KeystoneError(404, 'Not Found', message),
  notFoundPath: () => new KeystoneError(404, 'Not Found', 'The resource could not be found.'),
  methodNotAllowed: () => new KeystoneError(405, 'Method Not Allowed', 'The method is not allowed for the requested URL.'),
  conflict: (type: string, details: string) =>
    new KeystoneError(409, 'Conflict', `Conflict occurred attempting to store ${type} - ${details}.`),
  tooLarge: () => new KeystoneError(413, 'Request Entity Too Large', 'Request is too large.'),
  internal: () => new KeystoneError(500, 'Internal Server Error', 'An unexpected error prevented the server from fulfilling your request.'),
} as const;

export const errorBody = (e: KeystoneError) => ({ error: { code: e.code, message: e.message, title: e.title } });
