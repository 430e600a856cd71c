"""hubfix's patches to moto, one module per AWS service plus the test API.

Each service module has `apply()`, which patches moto's Response classes and
URL maps; call `apply_all()` before the server handles its first request.
To cover another service add a module and list it here.
"""

from . import dms, elasticache, redshift, securityhub

SERVICES = [securityhub, redshift, dms, elasticache]


def apply_all():
    for module in SERVICES:
        module.apply()
