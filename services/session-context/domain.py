"""Domain logic of the Session and Context Service: one module for every version of its spec.

Written once by `fountain generate` and never overwritten; regeneration reports what the spec adds.
Each function receives `ctx` (ctx.session: the request's database transaction, ctx.settings: the
service's settings); a version difference is an adapter inside the function, not a second copy.

Operations that are not CRUD are the functions below: until one is filled in, its endpoint answers 501
and names this file. The generated CRUD runs as is unless you define a hook for it:
  before_create_sessions(ctx, data) -> data  /  after_create_sessions(ctx, row) -> row
  before_update_sessions(ctx, data, item_id) -> data  /  after_update_sessions(ctx, row) -> row
Raise runtime.errors.Invalid for the documented 400, runtime.errors.DomainError for any other documented status.
"""
