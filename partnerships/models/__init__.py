from .audit import AuditEvent
from .mous import (
    DOCUMENT_TYPE_CODE,
    Mou,
    MouLanguage,
    MouState,
    MouTemplate,
    Pledge,
    PledgeKind,
)
from .parties import (
    Authority,
    AuthorityLevel,
    Contact,
    Partner,
    PartnerStatus,
    Role,
    TargetGroup,
    UserProfile,
    validate_tax_code,
)
from .reviews import Assessment, Review, ReviewKind
from .signatures import Signature, SignatureMethod, SignatureParty

__all__ = [
    "DOCUMENT_TYPE_CODE",
    "Assessment",
    "AuditEvent",
    "Authority",
    "AuthorityLevel",
    "Contact",
    "Mou",
    "MouLanguage",
    "MouState",
    "MouTemplate",
    "Partner",
    "PartnerStatus",
    "Pledge",
    "PledgeKind",
    "Review",
    "ReviewKind",
    "Role",
    "Signature",
    "SignatureMethod",
    "SignatureParty",
    "TargetGroup",
    "UserProfile",
    "validate_tax_code",
]
