{#- What the officials did about each warning episode up to as_of: the feedback whose
    verified_on falls in the episode (on or after its first sighting, before the next
    episode begins), the first verification, the latest word (a correction is a new
    record; the latest counts), whether that came within the time limit of the
    severity the episode had when first seen, and whether it is 核查逾期 now. The
    measures of IND-13 and of the dismissed share per rule. -#}
{{ config(schema='intermediate') }}

with episodes as (
    select
        episodes.*,
        cast(case episodes.first_severity
            when 'high' then {{ rule_param('verify_days_high') }}
            when 'medium' then {{ rule_param('verify_days_medium') }}
            else {{ rule_param('verify_days_low') }}
        end as integer) as verify_limit_days
    from {{ ref('int_feedback_episodes') }} as episodes
),

episode_feedback as (
    select
        episodes.warning_key,
        episodes.first_seen_on,
        min(feedback.verified_on) as first_verified_on,
        arg_max(feedback.result, struct_pack(r := feedback.recorded_at, i := feedback.feedback_id))
            as latest_result,
        arg_max(feedback.handled_on, struct_pack(r := feedback.recorded_at, i := feedback.feedback_id))
            as latest_handled_on
    from episodes
    inner join {{ ref('int_warning_feedback') }} as feedback
        on feedback.warning_key = episodes.warning_key
        and feedback.verified_on >= episodes.first_seen_on
        and (episodes.next_first_seen_on is null or feedback.verified_on < episodes.next_first_seen_on)
    group by episodes.warning_key, episodes.first_seen_on
)

select
    episodes.warning_key,
    episodes.first_seen_on,
    episodes.last_seen_on,
    episodes.is_current,
    episodes.rule_id,
    episodes.category,
    episodes.first_severity,
    episodes.banner_code,
    episodes.township_code,
    episodes.verify_limit_days,
    episode_feedback.first_verified_on,
    episode_feedback.first_verified_on is not null as has_feedback,
    coalesce(episode_feedback.first_verified_on <= episodes.first_seen_on + episodes.verify_limit_days, false)
        as verified_in_time,
    {{ dbt.datediff('episodes.first_seen_on', 'episode_feedback.first_verified_on', 'day') }}
        as days_to_verification,
    coalesce(episode_feedback.latest_result = 'not_confirmed', false) as is_dismissed,
    coalesce(episode_feedback.latest_result <> 'not_confirmed'
             and episode_feedback.latest_handled_on is not null, false) as is_handled,
    coalesce(status.is_verify_overdue, false) as is_overdue_now
from episodes
left join episode_feedback
    on episode_feedback.warning_key = episodes.warning_key
    and episode_feedback.first_seen_on = episodes.first_seen_on
left join {{ ref('warning_status') }} as status
    on episodes.is_current
    and status.warning_key = episodes.warning_key
