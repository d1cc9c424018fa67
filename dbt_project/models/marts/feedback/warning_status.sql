{#- The lifecycle with feedback (spec workspace.md "Lifecycle with feedback"): one row
    per warning raised in this run, with the status after the officials' feedback in
    force on as_of (int_warning_feedback), the time limits and the escalation.
    marts.warnings takes its `status` from here (a warning no longer raised is
    `resolved` there, feedback or not).

    Status, from the lifecycle (warning_episodes: `new` never seen before, else `open`)
    and the warning's latest feedback:
    - `dismissed`: the latest feedback is not_confirmed (不属实) and the canonical evidence
      hash now equals the hash of the run the official looked at (the latest run on or
      before the day the feedback was recorded); when it differs the warning is `open`
      again with reopened_reason `evidence_changed` (证据已变化);
    - `verified`: the latest feedback is confirmed or partly, without handled_on;
    - `handled`: handled_on is set; from the day after handled_on + handled_grace_days
      on, a warning that still fires is `open` again with reopened_reason
      `persists_after_handling` (处置后仍存在). The deadline day itself is still handled
      (the rules.md convention for "after N days");
    - else the lifecycle status (new / open).
    Confirmed or partly feedback counts for the episode it was given in (verified_on on
    or after the episode's first_seen_on): a warning that comes back after being
    resolved is news again. A dismissal is judged by the evidence alone.

    Time limits: verify_days_<severity> days from first_seen_on (verify_due_on). A new or
    open warning without feedback for its episode is 核查逾期 (is_verify_overdue) from the
    day after verify_due_on, and escalated to the banner's list (is_escalated) from the
    day after escalate_after_limits times the limit. -#}

with warnings as (
    select
        this_run.warning_key,
        this_run.as_of,
        this_run.rule_id,
        catalog.category,
        this_run.severity,
        {{ banner_of('this_run.region_code') }} as banner_code,
        {{ township_of('this_run.region_code') }} as township_code,
        case when episodes.is_first_sighting then 'new' else 'open' end as status,
        episodes.first_seen_on
    from {{ ref('warnings_this_run') }} as this_run
    inner join {{ ref('warning_episodes') }} as episodes
        on episodes.warning_key = this_run.warning_key
        and episodes.as_of = this_run.as_of
    left join {{ ref('rule_catalog') }} as catalog on catalog.rule_id = this_run.rule_id
),

latest as (
    select * from {{ ref('int_warning_feedback') }} where is_latest
),

hashes as (
    select * from {{ ref('int_warning_evidence_hashes') }}
),

dismissal_reference as (
    -- the run the official looked at: the latest on or before the day of the feedback;
    -- failing that (feedback recorded before any run had it) the first run after
    select
        latest.warning_key,
        coalesce(
            arg_max(hashes.evidence_hash, hashes.as_of) filter (where hashes.as_of <= latest.recorded_on),
            arg_min(hashes.evidence_hash, hashes.as_of) filter (where hashes.as_of > latest.recorded_on)
        ) as reference_hash
    from latest
    inner join hashes on hashes.warning_key = latest.warning_key
    where latest.result = 'not_confirmed'
    group by latest.warning_key
),

current_hash as (
    select warning_key, evidence_hash from hashes where as_of = {{ as_of() }}
),

limits as (
    select
        warnings.*,
        cast(case warnings.severity
            when 'high' then {{ rule_param('verify_days_high') }}
            when 'medium' then {{ rule_param('verify_days_medium') }}
            else {{ rule_param('verify_days_low') }}
        end as integer) as verify_limit_days,
        cast({{ rule_param('escalate_after_limits') }} as integer) as escalate_after_limits,
        cast({{ rule_param('handled_grace_days') }} as integer) as handled_grace_days
    from warnings
),

judged as (
    select
        limits.*,
        latest.feedback_id,
        latest.result as feedback_result,
        latest.action as feedback_action,
        latest.verified_on,
        latest.handled_on,
        latest.recorded_at as feedback_recorded_at,
        current_hash.evidence_hash,
        dismissal_reference.reference_hash,
        latest.result = 'not_confirmed' as is_dismissal,
        coalesce(latest.result in ('confirmed', 'partly') and latest.verified_on >= limits.first_seen_on, false)
            as is_verified_this_episode,
        current_hash.evidence_hash is not distinct from dismissal_reference.reference_hash as evidence_unchanged,
        latest.handled_on + limits.handled_grace_days as handled_grace_until,
        limits.first_seen_on + limits.verify_limit_days as verify_due_on,
        limits.first_seen_on + limits.verify_limit_days * limits.escalate_after_limits as escalate_after_on
    from limits
    left join latest on latest.warning_key = limits.warning_key
    left join dismissal_reference on dismissal_reference.warning_key = limits.warning_key
    left join current_hash on current_hash.warning_key = limits.warning_key
),

with_status as (
    select
        judged.*,
        case
            when is_dismissal and not evidence_unchanged then 'evidence_changed'
            when is_verified_this_episode and handled_on is not null and as_of > handled_grace_until
                then 'persists_after_handling'
        end as reopened_reason,
        case
            when is_dismissal and evidence_unchanged then 'dismissed'
            when is_dismissal then 'open'
            when is_verified_this_episode and handled_on is null then 'verified'
            when is_verified_this_episode and as_of > handled_grace_until then 'open'
            when is_verified_this_episode then 'handled'
            else status
        end as feedback_status
    from judged
),

needing_verification as (
    -- a new or open warning with no feedback for its episode (a reopened one has had some)
    select
        with_status.*,
        feedback_status in ('new', 'open')
        and reopened_reason is null
        and not is_verified_this_episode
        and not coalesce(is_dismissal, false) as needs_verification
    from with_status
)

select
    cast(warning_key as varchar) as warning_key,
    cast(as_of as date) as as_of,
    cast(rule_id as varchar) as rule_id,
    cast(category as varchar) as category,
    cast(severity as varchar) as severity,
    cast(banner_code as varchar) as banner_code,
    cast(township_code as varchar) as township_code,
    cast(status as varchar) as lifecycle_status,
    cast(feedback_status as varchar) as status,
    cast(reopened_reason as varchar) as reopened_reason,
    cast(case reopened_reason
        when 'evidence_changed' then '证据已变化'
        when 'persists_after_handling' then '处置后仍存在'
    end as varchar) as reopened_reason_zh,
    cast(feedback_status in ('new', 'open', 'verified') as boolean) as on_officials_list,
    cast(first_seen_on as date) as first_seen_on,
    cast(feedback_id as bigint) as feedback_id,
    cast(feedback_result as varchar) as feedback_result,
    cast(feedback_action as varchar) as feedback_action,
    cast(verified_on as date) as verified_on,
    cast(handled_on as date) as handled_on,
    cast(feedback_recorded_at as timestamp) as feedback_recorded_at,
    cast(evidence_hash as varchar) as evidence_hash,
    cast(reference_hash as varchar) as dismissed_evidence_hash,
    cast(verify_limit_days as integer) as verify_limit_days,
    cast(verify_due_on as date) as verify_due_on,
    cast(escalate_after_on as date) as escalate_after_on,
    cast(needs_verification and as_of > verify_due_on as boolean) as is_verify_overdue,
    cast(needs_verification and as_of > escalate_after_on as boolean) as is_escalated
from needing_verification
