{#- ELG-11 特困供养金低于标准 (§6): in the household's latest tekun pay month
    (wrn_helper_tekun_pay_month: the latest month with a tekun_basic payment, on or
    before as_of; other programs' payments do not count, none yet means no
    warning), a covered tekun member's tekun_basic payments fall short of the
    tekun basic standard in force that month (urban or rural after the household),
    or their tekun_care payments fall short of the care standard for their
    self_care (unable -> full care, partial -> partial care), by more than
    `amount_tolerance`. A missing basic payment counts as 0; a missing care payment
    is COV-05's business, not this rule's. -#}
{{ config(tags=['warning_rule']) }}

with tekun_members as (
    select *
    from {{ ref('wrn_helper_assisted_members') }}
    where assistance_type = 'tekun'
      and covered
),

payments as (
    select id_number, pay_month, program, amount
    from {{ ref('stg_ca_payments') }}
    where pay_month <= {{ as_of() }}
),

latest_month as (
    select household_id, tekun_pay_month as pay_month
    from {{ ref('wrn_helper_tekun_pay_month') }}
),

paid as (
    select
        tekun_members.household_id,
        tekun_members.id_number,
        latest_month.pay_month,
        coalesce(sum(payments.amount) filter (where payments.program = 'tekun_basic'), 0) as basic_paid,
        sum(payments.amount) filter (where payments.program = 'tekun_care') as care_paid
    from tekun_members
    inner join latest_month on tekun_members.household_id = latest_month.household_id
    left join payments
        on tekun_members.id_number = payments.id_number
        and payments.pay_month = latest_month.pay_month
    group by tekun_members.household_id, tekun_members.id_number, latest_month.pay_month
),

compared as (
    select
        tekun_members.*,
        paid.pay_month,
        paid.basic_paid,
        paid.care_paid,
        case tekun_members.self_care
            when 'unable' then 'tekun_care_full'
            when 'partial' then 'tekun_care_partial'
        end as care_standard_kind,
        {{ standard_in_force('tekun_members.banner_code', "'tekun_basic_' || tekun_members.urban_rural",
                             'paid.pay_month') }} as basic_standard,
        cast({{ rule_param('amount_tolerance') }} as decimal(14, 2)) as amount_tolerance
    from tekun_members
    inner join paid
        on tekun_members.household_id = paid.household_id
        and tekun_members.id_number = paid.id_number
),

with_care_standard as (
    select
        *,
        {{ standard_in_force('banner_code', 'care_standard_kind', 'pay_month') }} as care_standard
    from compared
),

flagged as (
    select
        *,
        coalesce(basic_paid < basic_standard - amount_tolerance, false) as basic_short,
        coalesce(care_paid < care_standard - amount_tolerance, false) as care_short
    from with_care_standard
),

one_per_person as (
    select
        *,
        row_number() over (partition by id_number order by household_id) as person_rank
    from flagged
    where basic_short or care_short
)

select
    'ELG-11' as rule_id,
    'person' as subject_type,
    id_number as subject_key,
    id_number,
    household_id,
    region_code,
    'medium' as severity,
    cast(json_object(
        'pay_month', pay_month,
        'tekun_basic_paid', basic_paid,
        'tekun_basic_standard', basic_standard,
        'basic_short', basic_short,
        'self_care', self_care,
        'tekun_care_paid', care_paid,
        'tekun_care_standard', care_standard,
        'care_short', care_short,
        'amount_tolerance', amount_tolerance
    ) as varchar) as evidence
from one_per_person
where person_rank = 1
