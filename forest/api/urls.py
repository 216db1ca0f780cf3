from django.urls import path

from forest.api import achievements, energy, social, team_invitations, teams, transactions, trees

urlpatterns = [
    path("forest", energy.ForestHomeApi.as_view(), name="forest-home"),
    path("drops/collect-all", energy.DropCollectAllApi.as_view(), name="drops-collect-all"),
    path("drops/<int:drop_id>/collect", energy.DropCollectApi.as_view(), name="drop-collect"),
    path("ledger", energy.LedgerListApi.as_view(), name="ledger"),
    path("badges", achievements.BadgeListApi.as_view(), name="badges"),
    path("challenges", achievements.ChallengeListApi.as_view(), name="challenges"),
    path(
        "challenges/<int:challenge_id>/join",
        achievements.ChallengeJoinApi.as_view(),
        name="challenge-join",
    ),
    path(
        "friends/leaderboard",
        social.FriendsLeaderboardApi.as_view(),
        name="friends-leaderboard",
    ),
    path("friends/activity", social.SocialActivityApi.as_view(), name="friends-activity"),
    path(
        "friends/<int:user_id>/forest",
        social.FriendForestApi.as_view(),
        name="friend-forest",
    ),
    path(
        "friends/<int:user_id>/drops/<int:drop_id>/steal",
        social.DropStealApi.as_view(),
        name="friend-drop-steal",
    ),
    path("friends/<int:user_id>/water", social.FriendWaterApi.as_view(), name="friend-water"),
    path("species", trees.SpeciesListApi.as_view(), name="species-list"),
    path("trees", trees.TreeListCreateApi.as_view(), name="trees"),
    path("trees/impact", trees.TreeImpactApi.as_view(), name="trees-impact"),
    path("trees/<int:tree_id>/grow", trees.TreeGrowApi.as_view(), name="tree-grow"),
    path("trees/<int:tree_id>/move", trees.TreeMoveApi.as_view(), name="tree-move"),
    path("teams", teams.TeamListCreateApi.as_view(), name="teams"),
    path(
        "teams/invitations/accept",
        team_invitations.TeamInvitationAcceptApi.as_view(),
        name="team-invitation-accept",
    ),
    path("teams/<int:team_id>", teams.TeamDetailApi.as_view(), name="team-detail"),
    path("teams/<int:team_id>/accept", teams.TeamAcceptApi.as_view(), name="team-accept"),
    path("teams/<int:team_id>/decline", teams.TeamDeclineApi.as_view(), name="team-decline"),
    path("teams/<int:team_id>/leave", teams.TeamLeaveApi.as_view(), name="team-leave"),
    path(
        "teams/<int:team_id>/invitations",
        team_invitations.TeamInvitationListCreateApi.as_view(),
        name="team-invitations",
    ),
    path(
        "teams/<int:team_id>/invitations/<int:invitation_id>/revoke",
        team_invitations.TeamInvitationRevokeApi.as_view(),
        name="team-invitation-revoke",
    ),
    path(
        "trees/<int:tree_id>/certificate.png",
        trees.TreeCertificatePngApi.as_view(),
        name="tree-certificate-png",
    ),
    path("transactions", transactions.TransactionListApi.as_view(), name="transactions"),
    path(
        "transactions/<int:transaction_id>",
        transactions.TransactionDetailApi.as_view(),
        name="transaction-detail",
    ),
]
