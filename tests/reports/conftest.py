"""A registry with hand-countable delivery, for the report tests.

On top of `placements_world` (MoU no. 10 of the garment factory at Bến Lức, active, line 1:
5 jobs, line 2: 3 training places; MoU no. 10 of the quarry at Kim Bảng, Hà Nam, 5 jobs):

- MoU no. 20 signed by the dissolved Bến Lức district (successor: Bến Lức commune), garment
  factory, active, one line of 10 jobs for two target groups;
- people and placements, dated from today so the arithmetic holds any day:

  line      start        end              confirmation  person
  10 / 1    400 days ago —                confirmed     man, completed_prison    P1
  10 / 1    400 days ago after 100 days   confirmed     woman, post_rehab        P2
  10 / 1    30 days ago  —                confirmed     man, completed_prison    P3
  10 / 1    200 days ago —                reported      woman, completed_prison  P4
  10 / 1    200 days ago —                rejected      woman, completed_prison  P5
  10 / 2    300 days ago after 250 days   confirmed     woman, post_rehab        P6
  20 / 1    100 days ago —                confirmed     man, completed_prison    P7
  KB 10 / 1 400 days ago —                confirmed     man, amnesty             P8

Counted by hand (retention at 6 months: started at least 6 months ago, still in place 6
months after the start):

  MoU 10 line 1: pledged 5, delivered 3 (P1 P2 P3), eligible 2 (P1 P2), retained 1 (P1)
  MoU 10 line 2: pledged 3, delivered 1 (P6), eligible 1, retained 1 (250 days > 6 months)
  MoU 20 line 1: pledged 10, delivered 1 (P7), eligible 0
  Kim Bảng:      pledged 5, delivered 1 (P8), eligible 1, retained 1

Both MoUs 10 and 20 started two years ago and end in a year: two thirds of the term past.
MoU 10 delivered 4 of 8 (50%): 17 points behind, under the 20-point margin. MoU 20 (10%)
and Kim Bảng's (20%) lag.
"""

import pytest

from partnerships.models import Confirmation, Gender, MouState, TargetGroup
from tests.factories.reports import place
from tests.factories.world import bring_to, make_mou


@pytest.fixture
def report_world(placements_world):
    w = placements_world
    w.line1, w.line2 = w.job_pledge, w.training_pledge
    w.line2.target_groups.add(TargetGroup.objects.get(code="post_rehab"))
    w.district_mou = make_mou(
        w.ben_luc_district,
        w.garment,
        number=20,
        term_start=w.active_mou.term_start,
        term_end=w.active_mou.term_end,
    )
    w.district_line = w.district_mou.pledges.get()
    w.district_line.quantity = 10
    w.district_line.save(update_fields=["quantity"])
    w.district_line.target_groups.add(TargetGroup.objects.get(code="amnesty"))
    bring_to(w.district_mou, MouState.ACTIVE)
    w.quarry_line = w.quarry_mou.pledges.get()

    w.p1 = place(w.line1, started_days_ago=400)
    w.p2 = place(
        w.line1, started_days_ago=400, lasted_days=100, gender=Gender.FEMALE, group="post_rehab"
    )
    w.p3 = place(w.line1, started_days_ago=30)
    w.p4 = place(
        w.line1, started_days_ago=200, confirmation=Confirmation.REPORTED, gender=Gender.FEMALE
    )
    w.p5 = place(
        w.line1, started_days_ago=200, confirmation=Confirmation.REJECTED, gender=Gender.FEMALE
    )
    w.p6 = place(
        w.line2, started_days_ago=300, lasted_days=250, gender=Gender.FEMALE, group="post_rehab"
    )
    w.p7 = place(w.district_line, started_days_ago=100, owner=w.ben_luc)
    w.p8 = place(w.quarry_line, started_days_ago=400, group="amnesty")
    return w


@pytest.fixture
def funnel_world(report_world):
    """report_world with referrals of every outcome (tests/factories/funnel_referrals.py):

      ref  line     person                 outcome                      interviewed
      R1   10 / 1   P1                     hired (placement P1)         yes
      R2   10 / 1   P3                     hired (placement P3)         no (hire only)
      R3   10 / 1   A, woman, post_rehab   not hired: skills            yes
      R4   10 / 1   B                      did not come                 no
      R5   10 / 1   C                      expired                      no
      R6   10 / 1   D                      ended (consent withdrawn)    yes
      R7   10 / 1   E                      in progress                  no
      R8   10 / 1   A again                not hired: position filled   no
      R9   10 / 2   P6                     hired (placement P6)         yes
      R10  20 / 1   F                      expired                      no

    Counted by hand: line 10/1 referred 8, interviewed 4 (R1 R2 R3 R6); line 10/2
    referred 1, interviewed 1; line 20/1 referred 1; Kim Bảng none. In all: referred 10,
    interviewed 5, hired through a referral 3, not hired 2, did not come 1, expired 2,
    ended 1, in progress 1.
    """
    from partnerships.models import ReferralStatus as S
    from tests.factories.funnel_referrals import person, refer

    w = report_world
    a = person(w.ben_luc, gender=Gender.FEMALE, group="post_rehab")
    refer(w.line1, w.p1.person, status=S.HIRED, interviewed=True, placement=w.p1)
    refer(w.line1, w.p3.person, status=S.HIRED, placement=w.p3)
    refer(w.line1, a, status=S.NOT_HIRED, interviewed=True, reason="skills", days_ago=90)
    refer(w.line1, person(w.ben_luc), status=S.NO_SHOW)
    refer(w.line1, person(w.ben_luc), status=S.EXPIRED)
    refer(w.line1, person(w.ben_luc), status=S.ENDED, interviewed=True)
    refer(w.line1, person(w.ben_luc), status=S.REFERRED, days_ago=5)
    refer(w.line1, a, status=S.NOT_HIRED, reason="position_filled", days_ago=20)
    refer(w.line2, w.p6.person, status=S.HIRED, interviewed=True, placement=w.p6)
    refer(w.district_line, person(w.ben_luc), status=S.EXPIRED)
    return w
