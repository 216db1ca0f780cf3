from django.urls import path

from forest.api import achievement_views, social_views, transactions, tree_views, views

urlpatterns = [
    path("forest", views.ForestHomeApi.as_view(), name="forest-home"),
    path("drops/collect-all", views.DropCollectAllApi.as_view(), name="drops-collect-all"),
    path("drops/<int:drop_id>/collect", views.DropCollectApi.as_view(), name="drop-collect"),
    path("ledger", views.LedgerListApi.as_view(), name="ledger"),
    path("badges", achievement_views.BadgeListApi.as_view(), name="badges"),
    path("challenges", achievement_views.ChallengeListApi.as_view(), name="challenges"),
    path(
        "challenges/<int:challenge_id>/join",
        achievement_views.ChallengeJoinApi.as_view(),
        name="challenge-join",
    ),
    path(
        "friends/leaderboard",
        social_views.FriendsLeaderboardApi.as_view(),
        name="friends-leaderboard",
    ),
    path("friends/activity", social_views.SocialActivityApi.as_view(), name="friends-activity"),
    path(
        "friends/<int:user_id>/forest",
        social_views.FriendForestApi.as_view(),
        name="friend-forest",
    ),
    path(
        "friends/<int:user_id>/drops/<int:drop_id>/steal",
        social_views.DropStealApi.as_view(),
        name="friend-drop-steal",
    ),
    path("friends/<int:user_id>/water", social_views.FriendWaterApi.as_view(), name="friend-water"),
    path("species", tree_views.SpeciesListApi.as_view(), name="species-list"),
    path("forests", tree_views.ForestListApi.as_view(), name="forest-list"),
    path("trees", tree_views.TreeListCreateApi.as_view(), name="trees"),
    path("trees/impact", tree_views.TreeImpactApi.as_view(), name="trees-impact"),
    path("trees/<int:tree_id>/grow", tree_views.TreeGrowApi.as_view(), name="tree-grow"),
    path("trees/<int:tree_id>/move", tree_views.TreeMoveApi.as_view(), name="tree-move"),
    path("teams", tree_views.TeamListCreateApi.as_view(), name="teams"),
    path(
        "teams/invitations/accept",
        tree_views.TeamInvitationAcceptApi.as_view(),
        name="team-invitation-accept",
    ),
    path("teams/<int:team_id>", tree_views.TeamDetailApi.as_view(), name="team-detail"),
    path("teams/<int:team_id>/accept", tree_views.TeamAcceptApi.as_view(), name="team-accept"),
    path("teams/<int:team_id>/decline", tree_views.TeamDeclineApi.as_view(), name="team-decline"),
    path("teams/<int:team_id>/leave", tree_views.TeamLeaveApi.as_view(), name="team-leave"),
    path(
        "teams/<int:team_id>/invitations",
        tree_views.TeamInvitationListCreateApi.as_view(),
        name="team-invitations",
    ),
    path(
        "teams/<int:team_id>/invitations/<int:invitation_id>/revoke",
        tree_views.TeamInvitationRevokeApi.as_view(),
        name="team-invitation-revoke",
    ),
    path(
        "trees/<int:tree_id>/certificate.png",
        tree_views.TreeCertificatePngApi.as_view(),
        name="tree-certificate-png",
    ),
    path("transactions", transactions.TransactionListApi.as_view(), name="transactions"),
]
