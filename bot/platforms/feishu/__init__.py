"""The Feishu (飞书) adapter: long connection or webhook in, pooled REST out."""
PLATFORM = "feishu"
