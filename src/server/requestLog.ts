declare module 'fastify' {
  interface FastifyRequest {
    /** Fields a handler adds to the single line logged when its request completes. */
    logFields: Record<string, unknown>;
  }
}

export {};
