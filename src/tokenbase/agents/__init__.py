"""Digital employees (数字员工): agents with their own knowledge, tools, memory and routing."""
