/// How much of a result came from the server's caches.
public enum CacheOutcome: String, Sendable, CaseIterable {
    /// The whole encoded result was cached; no model ran.
    case hit
    /// Nothing usable was cached.
    case miss
    /// Some intermediate was cached (prompt embeddings or latents).
    case partial
}
