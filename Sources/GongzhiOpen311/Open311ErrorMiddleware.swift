import GongzhiIntake
import Hummingbird
import Logging
import NIOCore

/// Turns whatever a route throws into an Open311 error array in the format the path asks for (`.xml`, else
/// JSON): an `Open311Refusal` as itself (with `Retry-After` on a 429 or a 503, `Connection: close` on a 413), a
/// path no route serves as 404, a body over the limit as 413, and anything else as a logged 500 that tells the
/// client nothing internal.
struct Open311ErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    let logger: Logger

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let format: Open311Document.Format = request.uri.path.hasSuffix(".xml") ? .xml : .json
        do {
            return try await next(request, context)
        } catch let refusal as Open311Refusal {
            return Self.response(refusal, format: format)
        } catch let error as HTTPError where error.status == .notFound {
            let refusal = Open311Refusal.notFound(
                "nothing is served at \(request.method) \(request.uri.path); each endpoint is "
                    + "/open311/{source}/v2/{call}.json or .xml, and /open311/discovery.json lists them"
            )
            return Self.response(refusal, format: format)
        } catch is NIOTooManyBytesError {
            return Self.response(Open311Refusal(status: 413, description: "the body is too large"), format: format)
        } catch let error as any HTTPResponseError where error.status.code < 500 {
            let refusal = Open311Refusal(
                status: error.status.code,
                description: "the request was refused: \(error.status.code) \(error.status.reasonPhrase)"
            )
            return Self.response(refusal, format: format)
        } catch {
            logger.error(
                "Open311 request failed",
                metadata: [
                    "open311.method": "\(request.method)",
                    "open311.path": "\(request.uri.path)",
                    "error": "\(error)",
                ]
            )
            let refusal = Open311Refusal(
                status: 500,
                description: "the server could not answer this request because of an internal error, which "
                    + "was logged; try again later, and if it persists tell the contact in discovery.json"
            )
            return Self.response(refusal, format: format)
        }
    }

    /// The error array of a refusal, with its status and, for 429 and 503, `Retry-After`.
    static func response(_ refusal: Open311Refusal, format: Open311Document.Format) -> Response {
        var headers: HTTPFields = [.contentType: format.contentType]
        if refusal.status == 429 || refusal.status == 503 {
            headers[.retryAfter] = "\(max(refusal.retryAfterSeconds ?? 1, 0))"
        }
        if refusal.status == 413 {
            // The rest of the body may still be on its way: the client should not reuse the connection.
            headers[.connection] = "close"
        }
        let document = Open311Document.errors(refusal.errors, format: format)
        return Response(
            status: HTTPResponse.Status(code: refusal.status),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: document))
        )
    }
}
