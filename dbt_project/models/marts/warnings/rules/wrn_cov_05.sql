{#- COV-05 照料护理补贴缺失 (§5, §6): a living covered member of an assisted tekun
    household whose self_care is `partial` or `unable` and who has no positive
    `tekun_care` payment in the household's latest tekun pay month
    (wrn_helper_tekun_pay_month, as in ELG-11: the latest month with a tekun_basic
    payment on or before as_of). A household with no tekun_basic payment yet is not
    judged (there is no month to look at). -#}
{{ config(tags=['warning_rule']) }}

with care_dependent_members as (
    select
        id_number,
        household_id,
        region_code,
        self_care,
        row_number() over (partition by id_number order by household_id) as membership_rank
    from {{ ref('int_household_members') }}
    where is_assisted
      and assistance_type = 'tekun'
      and coalesce(covered, false)
      and self_care in ('partial', 'unable')
),

payments_to_date as (
    select household_id, id_number, pay_month, program, amount
    from {{ ref('stg_ca_payments') }}
    where pay_month <= {{ as_of() }}
),

latest_pay_month as (
    select household_id, tekun_pay_month as pay_month
    from {{ ref('wrn_helper_tekun_pay_month') }}
),

care_paid as (
    select id_number, pay_month, sum(amount) as care_amount
    from payments_to_date
    where program = 'tekun_care'
    group by id_number, pay_month
),

unpaid as (
    select
        members.id_number,
        members.household_id,
        members.region_code,
        members.self_care,
        latest_pay_month.pay_month,
        care_paid.care_amount
    from care_dependent_members as members
    inner join latest_pay_month on members.household_id = latest_pay_month.household_id
    left join care_paid
        on members.id_number = care_paid.id_number
        and latest_pay_month.pay_month = care_paid.pay_month
    left join {{ ref('wrn_helper_person_home') }} as home on members.id_number = home.id_number
    where members.membership_rank = 1
      and not coalesce(home.is_deceased, false)
      and coalesce(care_paid.care_amount, 0) <= 0
)

select
    'COV-05' as rule_id,
    'person' as subject_type,
    unpaid.id_number as subject_key,
    unpaid.id_number,
    unpaid.household_id,
    unpaid.region_code,
    'medium' as severity,
    cast(json_object(
        'self_care', unpaid.self_care,
        'latest_pay_month', unpaid.pay_month,
        'tekun_care_paid', coalesce(unpaid.care_amount, 0)
    ) as varchar) as evidence
from unpaid
