import GongzhiRPC

/// A method handler that runs only once admitted: unary calls hold their seats while they run (and ask for them
/// only once their connection takes answers again, when its client had left too many unread); streams take one of
/// their flow's stream places and no seats.
///
/// Streams hold no seats, not even for a Watch's catch-up: how long a stream lives is its caller's choice, and a
/// seat held for it would be lost to its flow's other calls for that long. A Watch's catch-up reads the history
/// in batches, each a short store read; what bounds them is the cap on open streams per flow.
enum AdmittedHandler {
    /// `handler`, admitted by `controller` as `flow` at `level` before it runs.
    static func wrap(
        _ handler: RPCMethodHandler,
        flow: FlowKey,
        level: PriorityLevel,
        controller: AdmissionController
    ) -> RPCMethodHandler {
        switch handler.body {
        case .unary(let body):
            return RPCMethodHandler(unary: { payload, context in
                // Not admitted while its client leaves earlier answers unread: a call that waited for that holding
                // seats would keep them from everyone else at its level.
                do {
                    try await context.waitUntilConnectionCanTakeAnswers()
                } catch {
                    throw RPCError(
                        code: .cancelled,
                        message: "the call ended while it waited for its client to read earlier answers"
                    )
                }
                let ticket: AdmissionTicket
                do {
                    ticket = try await controller.admit(
                        flow,
                        level: level,
                        width: CallCost.width(service: context.service, method: context.method, payload: payload),
                        deadline: context.deadline
                    )
                } catch {
                    throw refusal(error, context)
                }
                defer { ticket.release() }
                return try await body(payload, context)
            })
        case .unaryCallback(let body):
            return RPCMethodHandler(unaryCallback: { payload, context, answer in
                let admit: @Sendable () -> Void = {
                    controller.admit(
                        flow,
                        level: level,
                        width: CallCost.width(service: context.service, method: context.method, payload: payload),
                        deadline: context.deadline
                    ) { admitted in
                        switch admitted {
                        case .failure(let error):
                            answer(.failure(refusal(error, context)))
                        case .success(let ticket):
                            body(payload, context) { result in
                                ticket.release()
                                answer(result)
                            }
                        }
                    }
                }
                // As for a task's call: no seat is asked for while the client leaves earlier answers unread.
                guard let gate = context.connection?.outbound else { return admit() }
                gate.whenOpen { open in
                    if open {
                        admit()
                    } else {
                        answer(
                            .failure(
                                RPCError(
                                    code: .cancelled,
                                    message: "the call ended while it waited for its client to read earlier answers"
                                )
                            )
                        )
                    }
                }
            })
        case .streaming(let body):
            // The host's own streams (a plugin's registration) are not counted against anyone.
            if level == .system { return handler }
            return RPCMethodHandler(
                kind: handler.kind,
                streaming: { requests, responses, context in
                    let ticket: AdmissionTicket
                    do {
                        ticket = try controller.openStream(flow)
                    } catch {
                        throw refusal(error, context)
                    }
                    defer { ticket.release() }
                    return try await body(requests, responses, context)
                }
            )
        }
    }

    /// The refusal, with its retry advice in the response metadata (the wire sends a call's response metadata
    /// with its error).
    private static func refusal(_ error: any Error, _ context: ServerCallContext) -> any Error {
        if let refusal = error as? RPCError {
            for entry in refusal.metadata {
                context.addResponseMetadata(entry.key, entry.value)
            }
        }
        return error
    }
}
