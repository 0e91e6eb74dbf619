"""`srv`: the engine over the Postgres wire protocol, for psql, Postgres drivers and pystackql's server mode.

The wire protocol is pg-mimic's; this package decides what each statement means: StackQL statements go to
one `AsyncSession` per connection, while the Postgres chatter drivers send at connect is answered here.
"""

from .options import ServerOptions
from .serve import serve

__all__ = ["ServerOptions", "serve"]
