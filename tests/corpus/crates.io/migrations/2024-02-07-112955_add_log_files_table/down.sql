drop table processed_log_files;

