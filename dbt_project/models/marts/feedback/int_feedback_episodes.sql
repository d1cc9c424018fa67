{#- One row per episode of every warning up to as_of (episodes as warning_episodes
    defines them, the one place the lifecycle is computed), with what IND-13 and the
    time limits judge an episode by: its rule, category, place and the severity it had
    when first seen; and `next_first_seen_on`, where the next episode of the same
    warning begins (feedback verified in between belongs to this episode). -#}
{{ config(schema='intermediate') }}

with episodes as (
    select
        warning_key,
        first_seen_on,
        max(as_of) as last_seen_on
    from {{ ref('warning_episodes') }}
    group by warning_key, first_seen_on
)

select
    episodes.warning_key,
    episodes.first_seen_on,
    episodes.last_seen_on,
    lead(episodes.first_seen_on) over (
        partition by episodes.warning_key order by episodes.first_seen_on
    ) as next_first_seen_on,
    episodes.last_seen_on = {{ as_of() }} as is_current,
    first_sighting.rule_id,
    catalog.category,
    first_sighting.severity as first_severity,
    first_sighting.region_code,
    {{ banner_of('first_sighting.region_code') }} as banner_code,
    {{ township_of('first_sighting.region_code') }} as township_code
from episodes
inner join {{ ref('warning_history') }} as first_sighting
    on first_sighting.warning_key = episodes.warning_key
    and first_sighting.as_of = episodes.first_seen_on
left join {{ ref('rule_catalog') }} as catalog on catalog.rule_id = first_sighting.rule_id
