import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from dashboard.core import models


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    line = models.Line.FIRST


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Queue
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Queue {n}")
    channel = models.Channel.VOICE
    team = factory.SubFactory(TeamFactory)
    sl_threshold_s = 20
    short_abandon_threshold_s = 5


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Agent
        django_get_or_create = ("login_id",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Agent {n}")
    login_id = factory.Sequence(lambda n: f"agent{n}")
    team = factory.SubFactory(TeamFactory)

    @factory.post_generation
    def skills(self, create, extracted, **kwargs):
        if create and extracted:
            self.skills.set(extracted)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("secret-pw-123")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create and extracted:
            for team in extracted:
                team.supervisors.add(self)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Source
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"source{n}")
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
