import Foundation
import TesseraDiffusion
import TesseraWire
import TesseraZMQ

/// One accepted `generate` request on its way through the scheduler.
final class Job: @unchecked Sendable {
    let request: GenerateRequest
    let envelope: ZMQRouterEnvelope
    let model: ServedModel
    var parameters: GenerationParameters
    let requestedSteps: Int
    let receivedAt: UInt64      // monotonic ns
    let deadline: UInt64        // monotonic ns
    let hasDeadline: Bool
    let resultKey: ResultKey
    var degradedReason: String?
    /// Final latents of an identical earlier generation: only decode and encode are left.
    var cachedLatents: Tensor?
    private let lock = NSLock()
    private var cancelFlag = false

    init(request: GenerateRequest, envelope: ZMQRouterEnvelope, model: ServedModel, parameters: GenerationParameters,
         receivedAt: UInt64, deadline: UInt64, hasDeadline: Bool) {
        self.request = request
        self.envelope = envelope
        self.model = model
        self.parameters = parameters
        requestedSteps = parameters.steps
        self.receivedAt = receivedAt
        self.deadline = deadline
        self.hasDeadline = hasDeadline
        resultKey = ResultKey(model: model.name, parameters: parameters, format: request.format)
    }

    /// Set by `cancel` from the transport thread, read by the compute thread between steps.
    var isCancelled: Bool {
        get { lock.lock(); defer { lock.unlock() }; return cancelFlag }
        set { lock.lock(); cancelFlag = newValue; lock.unlock() }
    }

    /// Jobs are identified per client: the same id from two clients are two jobs.
    var identity: JobIdentity { JobIdentity(routingID: envelope.routingID, id: request.id) }
}

/// A request id scoped to the client that sent it.
struct JobIdentity: Hashable, Sendable {
    let routingID: [UInt8]
    let id: String
}

/// Monotonic clock in nanoseconds.
enum MonotonicClock {
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}
