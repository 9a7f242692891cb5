drop table trustpub_configs_github;
drop table trustpub_tokens;
drop table trustpub_used_jtis;
