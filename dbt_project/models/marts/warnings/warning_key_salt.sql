{#- One random secret per warehouse, drawn on its first build and carried by every later
    build (the build works on a copy of the published file, so this incremental table keeps
    its one row). warning_key hashes it with rule_id and subject_key.

    Why a salt: an unsalted md5(rule_id | subject_key) of an 18-digit ID number is reversed
    in a second by trying every birth date and sequence number behind a masked ID
    (1529**********123X) printed next to it in an official's list. With the salt the key is
    just as stable across runs, and the officials' lists, the workspace and the analyst file
    can all carry the same key. The salt stays in the intermediate schema of the warehouse,
    which already holds full ID numbers; it is never exported. -#}
{{ config(schema='intermediate', materialized='incremental') }}

{% if is_incremental() %}
select salt from {{ this }} where false
{% else %}
select md5(cast(gen_random_uuid() as varchar) || cast(gen_random_uuid() as varchar)) as salt
{% endif %}
