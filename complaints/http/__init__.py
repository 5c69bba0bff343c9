"""The HTTP edge shared by the JSON API (complaints.api) and the pages (complaints.web).

- `session`: the request's unit of work: its write turn, its database session (committed once, by the
  dependency that opened it, before the response is sent; rolled back when the route raises) and the runtime.
- `users`: who is asking: credentials (bearer token or session cookie), the API's signed-in user (401)
  and the page's (a redirect to /login).
- `csrf`: the API's header token for cookie-authenticated writes, the pages' double-submit form token.
- `ratelimit`: the public status lookup's limits, counted in the database.

Route handlers never commit: a change that must outlive a refusal (a failed sign-in, a wrong answer to
the public lookup) is marked with `session.keep_when_refused`, and the dependency commits it.
"""
